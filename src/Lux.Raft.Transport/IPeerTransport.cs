using Lux.Raft;

namespace Lux.Raft.Transport;

/// <summary>
/// The peer channel of one silo: sends Raft messages to other silos and hands received ones to an
/// <see cref="IRaftMessageHandler"/>. One implementation per protocol (TCP, HTTP, in-memory), all with the same behaviour.
/// </summary>
public interface IPeerTransport : IAsyncDisposable
{
    /// <summary>This silo's node id.</summary>
    string NodeId { get; }

    /// <summary>Starts listening for peers.</summary>
    ValueTask StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Queues <paramref name="message"/> for <paramref name="peer"/> without blocking. Messages to one peer leave in the
    /// order they were queued (heartbeats of one flush travel together in one batch after the flush's other messages).
    /// </summary>
    /// <returns>False when the message was dropped (queue full, peer unknown or down); the handler has then been told.</returns>
    bool TrySend(string peer, ulong partitionId, Message message);

    /// <summary>Queues several messages for <paramref name="peer"/> at once, so they share one flush; all or none.</summary>
    /// <returns>False when the messages were dropped; the handler has been told for each.</returns>
    bool TrySend(string peer, ReadOnlySpan<(ulong PartitionId, Message Message)> messages);

    /// <summary>
    /// Streams a snapshot to <paramref name="peer"/>: <paramref name="snapshotMessage"/> (of type Snapshot) then the bytes of
    /// <paramref name="data"/>, read piece by piece as the receiver makes room.
    /// </summary>
    /// <exception cref="PeerChannelException">The transfer failed or the receiver refused it.</exception>
    ValueTask SendSnapshotAsync(string peer, ulong partitionId, Message snapshotMessage, Stream data, CancellationToken cancellationToken);

    /// <summary>Stops: refuses new sends, flushes what is queued (until <paramref name="cancellationToken"/> fires), closes connections.</summary>
    ValueTask StopAsync(CancellationToken cancellationToken);

    /// <summary>Counters of this transport since it was created.</summary>
    TransportStatistics Statistics { get; }
}
