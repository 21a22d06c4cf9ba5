namespace Lux.Raft;

/// <summary>A linearizable read that became safe: once the state machine has applied <see cref="Index"/>, the read may be served.</summary>
/// <param name="Index">The commit index at the time leadership was confirmed.</param>
/// <param name="RequestContext">The context the caller passed to <c>RawNode.ReadIndex</c>.</param>
public readonly record struct ReadState(ulong Index, ReadOnlyMemory<byte> RequestContext);

/// <summary>
/// The work a replica hands to its host, etcd-style. The host, in order:
/// <list type="number">
/// <item>persists <see cref="HardState"/> and <see cref="Entries"/> (and <see cref="Snapshot"/>) durably, with a sync when <see cref="MustSync"/>;</item>
/// <item>sends <see cref="Messages"/>. When <see cref="MessagesMayPrecedePersistence"/> is true (a leader whose term and vote are already durable) it may send them before step 1 finishes, so the leader's disk write overlaps the followers' (thesis §10.2.1);</item>
/// <item>applies <see cref="CommittedEntries"/> to the state machine and serves <see cref="ReadStates"/> once applied far enough;</item>
/// <item>calls <c>RawNode.Advance</c>.</item>
/// </list>
/// </summary>
public sealed class Ready
{
    /// <summary>The new soft state, or null when unchanged.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>The hard state to persist, or null when unchanged.</summary>
    public HardState? HardState { get; init; }

    /// <summary>Entries to persist, in order; they may replace a conflicting suffix of the stored log.</summary>
    public Entry[] Entries { get; init; } = [];

    /// <summary>A snapshot to install (restore the state machine, then record it in storage), or null.</summary>
    public SnapshotMetadata? Snapshot { get; init; }

    /// <summary>Committed entries to apply, in order.</summary>
    public Entry[] CommittedEntries { get; init; } = [];

    /// <summary>Messages to send.</summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];

    /// <summary>Reads that became safe to serve.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>Whether the write must be synced before <c>RawNode.Advance</c> (term, vote or entries changed).</summary>
    public bool MustSync { get; init; }

    /// <summary>Whether <see cref="Messages"/> may be sent before the write of this Ready is durable.</summary>
    public bool MessagesMayPrecedePersistence { get; init; }

    /// <summary>True when there is something to persist (entries, hard state or snapshot).</summary>
    public bool HasPersistentState => Entries.Length > 0 || HardState is not null || Snapshot is not null;

    /// <inheritdoc />
    public override string ToString() =>
        $"Ready(soft={SoftState}, hard={HardState}, entries={Entries.Length}, committed={CommittedEntries.Length}, msgs={Messages.Count}, reads={ReadStates.Count}, snap={Snapshot?.Index})";
}
