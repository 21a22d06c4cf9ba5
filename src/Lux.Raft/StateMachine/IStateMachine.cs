namespace Lux.Raft.StateMachine;

/// <summary>
/// The replicated state machine a partition runs. Every replica applies the same committed commands in the same order,
/// so <see cref="Apply"/> must be deterministic: its result and its effect may depend only on the state and the command
/// (no clocks, no randomness, no I/O whose outcome can differ between replicas).
/// <para>
/// A host calls the members of one instance from one thread at a time, never concurrently. Snapshots are streams, so a
/// large state never has to sit in one byte array: <see cref="SnapshotAsync"/> writes the whole state as of the last
/// applied command, and <see cref="RestoreAsync"/> replaces the whole state with what such a stream holds.
/// </para>
/// </summary>
public interface IStateMachine
{
    /// <summary>
    /// Applies the committed command at log index <paramref name="index"/> and returns its result. The returned memory
    /// is owned by the caller from then on (it may be kept to answer a retried proposal), so it must not be reused.
    /// Throw <see cref="CommandRejectedException"/> to refuse a command without changing the state; any other exception
    /// means the state machine can no longer be trusted and stops the replica.
    /// </summary>
    ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command);

    /// <summary>Answers a read-only query against the current state. Must not change the state.</summary>
    ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query);

    /// <summary>Writes the whole state, as of the last applied command, to <paramref name="destination"/>.</summary>
    ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default);

    /// <summary>Replaces the whole state with the snapshot read from <paramref name="source"/> (to its end).</summary>
    ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default);
}
