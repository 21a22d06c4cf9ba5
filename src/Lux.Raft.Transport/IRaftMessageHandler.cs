using Lux.Raft;

namespace Lux.Raft.Transport;

/// <summary>
/// What the host supplies to receive from the peer channel. Calls come from the channel's I/O loops: a handler hands
/// the message to its own mailbox and returns at once, or it slows every partition that shares the connection.
/// </summary>
public interface IRaftMessageHandler
{
    /// <summary>A message for the local replica of <paramref name="partitionId"/> arrived from <paramref name="fromPeer"/>.</summary>
    void OnMessage(string fromPeer, ulong partitionId, Message message);

    /// <summary>
    /// A snapshot arrives. <paramref name="data"/> yields the snapshot's bytes as they come, with backpressure: the
    /// sender is held back until this reads. The snapshot counts as delivered when the returned task completes; a fault
    /// tells the sender it failed.
    /// </summary>
    ValueTask OnSnapshotAsync(string fromPeer, ulong partitionId, Message message, Stream data, CancellationToken cancellationToken);

    /// <summary>
    /// A message to <paramref name="replicaId"/> of <paramref name="partitionId"/> on <paramref name="peer"/> was not delivered
    /// (queue full, connection failed). The host tells the core with <c>ReportUnreachable(replicaId)</c>.
    /// </summary>
    void OnUnreachable(string peer, ulong partitionId, ulong replicaId);

    /// <summary>The connection to <paramref name="peer"/> failed or could not be made.</summary>
    void OnPeerUnreachable(string peer);
}
