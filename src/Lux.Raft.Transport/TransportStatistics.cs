namespace Lux.Raft.Transport;

/// <summary>Running counters of one transport; read them any time, from any thread.</summary>
public sealed class TransportStatistics
{
    // Writers and readers run on different cores: the padding keeps their counters off each other's cache lines.
    internal long framesSent, bytesSent, messagesSent, heartbeatBatchesSent;
#pragma warning disable CS0169, IDE0051 // padding only
    private long _pad1, _pad2, _pad3, _pad4, _pad5, _pad6, _pad7, _pad8;
#pragma warning restore CS0169, IDE0051
    internal long framesReceived, bytesReceived, messagesReceived;
#pragma warning disable CS0169, IDE0051
    private long _pad9, _pad10, _pad11, _pad12, _pad13, _pad14, _pad15, _pad16;
#pragma warning restore CS0169, IDE0051
    internal long messagesDropped, reconnects, connectionsRefused, protocolErrors;

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
