using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lux.Raft.Transport.Diagnostics;

/// <summary>
/// The <c>lux.transport.*</c> instruments of one transport, tagged with its protocol and node id, plus the plain counters
/// of <see cref="TransportStatistics"/> that tests and operators read without a listener.
/// </summary>
internal sealed class TransportMetrics : IDisposable
{
    public const string MeterName = "Lux.Raft.Transport";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly TagList _tags;
    private readonly Counter<long> _framesSent, _framesReceived, _bytesSent, _bytesReceived, _dropped, _reconnects, _refused, _protocolErrors;

    public TransportMetrics(string protocol, string nodeId, IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _tags = new TagList { { "lux.transport.protocol", protocol }, { "lux.transport.node", nodeId } };
        _framesSent = _meter.CreateCounter<long>("lux.transport.frames.sent", "{frame}", "Frames written to peer connections.");
        _framesReceived = _meter.CreateCounter<long>("lux.transport.frames.received", "{frame}", "Frames read from authenticated peers.");
        _bytesSent = _meter.CreateCounter<long>("lux.transport.bytes.sent", "By", "Frame bytes written.");
        _bytesReceived = _meter.CreateCounter<long>("lux.transport.bytes.received", "By", "Frame bytes read.");
        _dropped = _meter.CreateCounter<long>("lux.transport.messages.dropped", "{message}", "Messages dropped: queue full or peer unreachable.");
        _reconnects = _meter.CreateCounter<long>("lux.transport.reconnects", "{connection}", "Connections re-established after a loss.");
        _refused = _meter.CreateCounter<long>("lux.transport.connections.refused", "{connection}", "Incoming connections refused by authentication.");
        _protocolErrors = _meter.CreateCounter<long>("lux.transport.protocol_errors", "{connection}", "Connections closed for malformed input.");
    }

    public TransportStatistics Statistics { get; } = new();

    public Meter Meter => _meter;

    public void Sent(int frames, int messages, long bytes, int heartbeatBatches)
    {
        Interlocked.Add(ref Statistics.framesSent, frames);
        Interlocked.Add(ref Statistics.messagesSent, messages);
        Interlocked.Add(ref Statistics.bytesSent, bytes);
        if (heartbeatBatches > 0) Interlocked.Add(ref Statistics.heartbeatBatchesSent, heartbeatBatches);
        _framesSent.Add(frames, _tags);
        _bytesSent.Add(bytes, _tags);
    }

    public void Received(int frames, int messages, long bytes)
    {
        Interlocked.Add(ref Statistics.framesReceived, frames);
        Interlocked.Add(ref Statistics.messagesReceived, messages);
        Interlocked.Add(ref Statistics.bytesReceived, bytes);
        _framesReceived.Add(frames, _tags);
        _bytesReceived.Add(bytes, _tags);
    }

    public void Dropped(int messages)
    {
        Interlocked.Add(ref Statistics.messagesDropped, messages);
        _dropped.Add(messages, _tags);
    }

    public void Reconnected()
    {
        Interlocked.Increment(ref Statistics.reconnects);
        _reconnects.Add(1, _tags);
    }

    public void Refused()
    {
        Interlocked.Increment(ref Statistics.connectionsRefused);
        _refused.Add(1, _tags);
    }

    public void ProtocolError()
    {
        Interlocked.Increment(ref Statistics.protocolErrors);
        _protocolErrors.Add(1, _tags);
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
