using Lux.Raft;

namespace Lux.Raft.Transport.Codec;

/// <summary>
/// The type byte of a frame header. Values 3–18 are the Raft <see cref="MessageType"/> wire numbers (local kinds
/// excluded); the channel's own frames live from 0x20 up.
/// </summary>
public enum FrameType : byte
{
    /// <summary>Heartbeats and heartbeat responses of many partitions in one frame.</summary>
    HeartbeatBatch = 0x20,
    /// <summary>Opens a snapshot stream: stream id and the Snapshot message.</summary>
    SnapshotBegin = 0x21,
    /// <summary>A piece of snapshot data.</summary>
    SnapshotChunk = 0x22,
    /// <summary>The snapshot data is complete: stream id and total length.</summary>
    SnapshotEnd = 0x23,
    /// <summary>The sender gives up a snapshot stream.</summary>
    SnapshotAbort = 0x24,
    /// <summary>Receiver to sender: more snapshot bytes may be sent (flow control).</summary>
    SnapshotCredit = 0x25,
    /// <summary>Receiver to sender: the outcome of a snapshot stream.</summary>
    SnapshotResult = 0x26,
    /// <summary>Handshake, client to server: versions, node ids, client nonce.</summary>
    Hello = 0x30,
    /// <summary>Handshake, server to client: chosen version, server nonce and proof.</summary>
    Challenge = 0x31,
    /// <summary>Handshake, client to server: the client's proof.</summary>
    Proof = 0x32,
    /// <summary>Handshake, server to client: the peer is accepted.</summary>
    Welcome = 0x33,
    /// <summary>The sender closes the connection on purpose (shutdown); no error is logged.</summary>
    Goodbye = 0x3F,
}

/// <summary>Classifies frame type bytes.</summary>
public static class FrameTypes
{
    /// <summary>True when <paramref name="value"/> is the wire number of a Raft message that may cross the network.</summary>
    public static bool IsRaftMessage(byte value) => value <= (byte)MessageTypes.MaxValue && !((MessageType)value).IsLocal();

    /// <summary>True when <paramref name="value"/> is any frame type this version knows.</summary>
    public static bool IsKnown(byte value) => IsRaftMessage(value) || value is >= 0x20 and <= 0x26 or >= 0x30 and <= 0x33 or 0x3F;

    /// <summary>True for handshake frames, the only ones accepted before a peer is authenticated.</summary>
    public static bool IsHandshake(FrameType type) => type is FrameType.Hello or FrameType.Challenge or FrameType.Proof or FrameType.Welcome;
}
