namespace Lux.Raft;

/// <summary>The role a replica plays in its current term.</summary>
public enum StateRole : byte
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower = 0,
    /// <summary>Asks for pre-votes before it dares to raise its term (thesis §9.6).</summary>
    PreCandidate = 1,
    /// <summary>Asks for votes in a new term.</summary>
    Candidate = 2,
    /// <summary>Accepts proposals and replicates the log.</summary>
    Leader = 3,
}

/// <summary>Volatile state worth reporting: who leads, and this replica's role.</summary>
/// <param name="Leader">The known leader, or <see cref="RaftConstants.None"/>.</param>
/// <param name="Role">This replica's role.</param>
public readonly record struct SoftState(ulong Leader, StateRole Role);
