namespace Lux.Raft.StateMachine;

/// <summary>
/// When a replica snapshots its state machine and compacts its log (thesis §5.1). A snapshot is taken once the log
/// applied since the last snapshot passes <see cref="MaxLogEntries"/> entries or <see cref="MaxLogBytes"/> bytes; the
/// log is then compacted up to <see cref="RetainedEntries"/> entries below the snapshot, so a follower that is only a
/// little behind still catches up from the log instead of receiving the whole snapshot.
/// </summary>
public sealed record SnapshotPolicy
{
    /// <summary>Entries applied since the last snapshot that trigger a new one. Default 10,000.</summary>
    public ulong MaxLogEntries { get; init; } = 10_000;

    /// <summary>Bytes of entry data applied since the last snapshot that trigger a new one. Default 64 MiB.</summary>
    public long MaxLogBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Entries kept in the log below a new snapshot for lagging followers. Default 1,000.</summary>
    public ulong RetainedEntries { get; init; } = 1_000;

    /// <summary>Never snapshot (the log grows without bound): for tests only.</summary>
    public static SnapshotPolicy Never { get; } = new() { MaxLogEntries = ulong.MaxValue, MaxLogBytes = long.MaxValue };

    /// <summary>Whether to snapshot now, given what has been applied since the last snapshot.</summary>
    /// <param name="appliedIndex">The state machine's last applied index.</param>
    /// <param name="snapshotIndex">The index of the last snapshot (0 if none).</param>
    /// <param name="bytesSinceSnapshot">Entry bytes applied since that snapshot.</param>
    public bool ShouldSnapshot(ulong appliedIndex, ulong snapshotIndex, long bytesSinceSnapshot) =>
        appliedIndex > snapshotIndex
        && (appliedIndex - snapshotIndex >= MaxLogEntries || bytesSinceSnapshot >= MaxLogBytes);

    /// <summary>The index up to which the log may be compacted after a snapshot at <paramref name="snapshotIndex"/> (0: nothing).</summary>
    public ulong CompactIndex(ulong snapshotIndex) =>
        snapshotIndex > RetainedEntries ? snapshotIndex - RetainedEntries : 0;

    /// <summary>Checks the values and returns the problems found (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxLogEntries == 0) problems.Add($"{nameof(MaxLogEntries)} must be at least 1.");
        if (MaxLogBytes <= 0) problems.Add($"{nameof(MaxLogBytes)} must be positive.");
        return problems;
    }
}
