using Microsoft.Extensions.Logging;

namespace Lux.Raft.Transport.Diagnostics;

/// <summary>Every log line of the peer channel, in one place.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(1, LogLevel.Information, "Peer channel {NodeId} listening on {EndPoint} ({Protocol}, {Security})")]
    public static partial void Listening(ILogger logger, string nodeId, string endPoint, string protocol, string security);

    [LoggerMessage(2, LogLevel.Information, "Connected to peer {Peer} at {EndPoint}")]
    public static partial void Connected(ILogger logger, string peer, string endPoint);

    [LoggerMessage(3, LogLevel.Warning, "Connection to peer {Peer} failed; retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, Exception? exception, string peer, long delayMs);

    [LoggerMessage(4, LogLevel.Warning, "Peer {Peer} is not in the directory; its messages are dropped")]
    public static partial void PeerUnknown(ILogger logger, string peer);

    [LoggerMessage(5, LogLevel.Warning, "Refused connection from {Remote}: {Reason}")]
    public static partial void Refused(ILogger logger, string remote, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Closed connection from {Remote} ({Peer}): protocol violation: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, string remote, string peer, string reason);

    [LoggerMessage(7, LogLevel.Information, "Peer {Peer} authenticated from {Remote}")]
    public static partial void Accepted(ILogger logger, string peer, string remote);

    [LoggerMessage(8, LogLevel.Information, "Connection from {Remote} ({Peer}) closed: {Reason}")]
    public static partial void InboundClosed(ILogger logger, string remote, string peer, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Connection to peer {Peer} lost: {Reason}")]
    public static partial void OutboundLost(ILogger logger, string peer, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Dropped a {Type} for partition {PartitionId} to {Peer}: frame of {Size} bytes exceeds the limit of {Limit}")]
    public static partial void MessageTooLarge(ILogger logger, string peer, ulong partitionId, Lux.Raft.MessageType type, long size, int limit);

    [LoggerMessage(11, LogLevel.Warning, "Snapshot of partition {PartitionId} from {Peer} failed in the handler")]
    public static partial void SnapshotHandlerFailed(ILogger logger, Exception exception, string peer, ulong partitionId);

    [LoggerMessage(12, LogLevel.Warning, "Handler threw on a message of partition {PartitionId} from {Peer}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string peer, ulong partitionId);

    [LoggerMessage(13, LogLevel.Warning, "Closed connection from {Remote}: {Reason}")]
    public static partial void SlowPeer(ILogger logger, string remote, string reason);

    [LoggerMessage(14, LogLevel.Information, "Peer channel {NodeId} stopped")]
    public static partial void Stopped(ILogger logger, string nodeId);

    [LoggerMessage(15, LogLevel.Warning, "Refused connection from {Remote}: {Pending} handshakes already pending")]
    public static partial void TooManyHandshakes(ILogger logger, string remote, int pending);

    [LoggerMessage(16, LogLevel.Error, "Unexpected error on the connection from {Remote}")]
    public static partial void InboundFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(17, LogLevel.Warning, "Handshake with peer {Peer} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string peer, string reason);
}
