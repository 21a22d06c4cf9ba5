namespace Lux.Raft.Transport;

/// <summary>Running counters of one transport; read them any time, from any thread.</summary>
public sealed class TransportStatistics
{
    internal long framesSent, framesReceived, bytesSent, bytesReceived, messagesSent, messagesReceived, messagesDropped,
        reconnects, connectionsRefused, protocolErrors, heartbeatBatchesSent;

    /// <summary>Frames written to connections.</summary>
    public long FramesSent => Interlocked.Read(ref framesSent);

    /// <summary>Frames read from authenticated connections.</summary>
    public long FramesReceived => Interlocked.Read(ref framesReceived);

    /// <summary>Bytes of frames written.</summary>
    public long BytesSent => Interlocked.Read(ref bytesSent);

    /// <summary>Bytes of frames read.</summary>
    public long BytesReceived => Interlocked.Read(ref bytesReceived);

    /// <summary>Raft messages written (a heartbeat batch counts each message).</summary>
    public long MessagesSent => Interlocked.Read(ref messagesSent);

    /// <summary>Raft messages handed to the handler.</summary>
    public long MessagesReceived => Interlocked.Read(ref messagesReceived);

    /// <summary>Messages dropped: queue full, peer down, or queued when a connection failed.</summary>
    public long MessagesDropped => Interlocked.Read(ref messagesDropped);

    /// <summary>Connections made again after one was lost.</summary>
    public long Reconnects => Interlocked.Read(ref reconnects);

    /// <summary>Incoming connections refused by authentication.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref connectionsRefused);

    /// <summary>Connections closed for breaking the wire format.</summary>
    public long ProtocolErrors => Interlocked.Read(ref protocolErrors);

    /// <summary>Heartbeat batch frames written.</summary>
    public long HeartbeatBatchesSent => Interlocked.Read(ref heartbeatBatchesSent);
}
