namespace Lux.Raft;

/// <summary>The state a replica must persist before it acts on it (Raft Figure 2: currentTerm, votedFor; plus commit index).</summary>
/// <param name="Term">The latest term this replica has seen.</param>
/// <param name="Vote">Who this replica voted for in <paramref name="Term"/>, or <see cref="RaftConstants.None"/>.</param>
/// <param name="Commit">The highest index known to be committed. Persisting it is an optimisation; it is never behind what was applied.</param>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>The state of a replica that has never run.</summary>
    public static HardState Empty => default;

    /// <summary>True when nothing has been recorded.</summary>
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}

/// <summary>Constants shared by the core.</summary>
public static class RaftConstants
{
    /// <summary>The id that means "no replica" (no leader, no vote).</summary>
    public const ulong None = 0;

    /// <summary>No limit on a size.</summary>
    public const long NoLimit = long.MaxValue;
}
