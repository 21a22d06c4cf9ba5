namespace Lux.Raft.Quorum;

/// <summary>The outcome of counting votes.</summary>
public enum VoteResult : byte
{
    /// <summary>Neither a quorum of yes nor enough no votes yet.</summary>
    Pending = 0,
    /// <summary>A quorum refused: the election is lost.</summary>
    Lost = 1,
    /// <summary>A quorum agreed.</summary>
    Won = 2,
}
