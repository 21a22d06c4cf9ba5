using System.Buffers;
using System.Threading.Channels;
using Lux.Raft;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Diagnostics;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// One incoming connection: the handshake (nothing else is accepted before it succeeds), then frames handed to the
/// handler in arrival order. Anything malformed, unexpected or too slow ends this connection with a log line and nothing
/// else; the listener and other peers carry on. Replies (snapshot credit and results) go back on the same link.
/// </summary>
internal sealed partial class InboundSession
{
    private readonly PeerChannelTransport _transport;
    private readonly PeerLink _link;
    private readonly Supervision _supervision;
    private readonly FrameInput _input;
    private readonly Channel<ControlFrame> _control = Channel.CreateUnbounded<ControlFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<(ulong PartitionId, Message Message)> _batch = [];
    private Task _controlWriter = Task.CompletedTask;

    public InboundSession(PeerChannelTransport transport, PeerLink link, Supervision supervision)
    {
        _transport = transport;
        _link = link;
        _supervision = supervision;
        _input = new FrameInput(link.Input);
        supervision.Input = _input;
        supervision.OnAbort = link.Abort;
    }

    /// <summary>The authenticated peer, once the handshake is done.</summary>
    public string? Peer { get; private set; }

    private string PeerName => Peer ?? "unauthenticated";

    private readonly record struct ControlFrame(FrameType Type, ulong PartitionId, ulong StreamId, ulong Value);

    public async Task RunAsync()
    {
        _transport.Track(this);
        var inHandshake = _transport.TryEnterHandshake();
        var reason = "closed by peer";
        try
        {
            if (!inHandshake)
            {
                TransportLog.TooManyHandshakes(_transport.Logger, _link.Remote, _transport.PendingHandshakes);
                _link.Abort();
                return;
            }
            var (peer, version) = await Handshake.ServerAsync(_link, _input, _transport.Authenticator, _transport.NodeId, _supervision.Token).ConfigureAwait(false);
            Peer = peer;
            _input.Version = version;
            _supervision.Authenticated = true;
            _transport.LeaveHandshake();
            inHandshake = false;
            TransportLog.Accepted(_transport.Logger, peer, _link.Remote);
            _transport.RegisterInbound(peer, this);
            _controlWriter = WriteControlAsync();
            var maxFrame = _transport.Options.MaxFrameSize;
            var open = true;
            while (open && await _input.NextAsync(maxFrame, _supervision.Token).ConfigureAwait(false))
            {
                // Frames already buffered are handled in one synchronous burst; replies made meanwhile share a flush.
                using (SendBurst.Open())
                {
                    do
                    {
                        open = Dispatch();
                    }
                    while (open && _receivedFrames < 256 && _input.TryNext(maxFrame));
                }
                // Counters are shared with the sending side: publish once per burst, not per frame.
                PublishReceived();
            }
            if (!open) reason = "peer said goodbye";
            TransportLog.InboundClosed(_transport.Logger, _link.Remote, PeerName, reason);
        }
        catch (ProtocolViolationException e)
        {
            _transport.Metrics.ProtocolError();
            TransportLog.ProtocolViolation(_transport.Logger, _link.Remote, PeerName, e.Message);
            _link.Abort();
        }
        catch (AuthenticationRefusedException e)
        {
            _transport.Metrics.Refused();
            TransportLog.Refused(_transport.Logger, _link.Remote, e.Message);
            _link.Abort();
        }
        catch (OperationCanceledException) when (_supervision.AbortReason is { } aborted)
        {
            if (Peer is null || aborted.Contains("in time", StringComparison.Ordinal)) TransportLog.SlowPeer(_transport.Logger, _link.Remote, aborted);
            else TransportLog.InboundClosed(_transport.Logger, _link.Remote, PeerName, aborted);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException
                                      or InvalidOperationException or Microsoft.AspNetCore.Connections.ConnectionResetException
                                      or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            TransportLog.InboundClosed(_transport.Logger, _link.Remote, PeerName, e.Message);
        }
        catch (Exception e)
        {
            TransportLog.InboundFailed(_transport.Logger, e, _link.Remote);
            _link.Abort();
        }
        finally
        {
            PublishReceived();
            if (inHandshake) _transport.LeaveHandshake();
            FailStreams(new IOException("connection closed"));
            _control.Writer.TryComplete();
            _supervision.Cancel("session over");
            await _controlWriter.ConfigureAwait(false);
            _input.Release();
            await _link.DisposeAsync().ConfigureAwait(false);
            _transport.Untrack(this);
            _supervision.Dispose();
        }
    }

    /// <summary>Cuts this connection (replaced, or shutting down hard).</summary>
    public void Abort(string reason) => _supervision.Abort(reason);

    /// <summary>Says goodbye, lets the reply writer finish, then ends the session.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        if (Peer is not null && _control.Writer.TryWrite(new ControlFrame(FrameType.Goodbye, 0, 0, 0))) _control.Writer.TryComplete();
        try
        {
            await _controlWriter.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _supervision.Cancel("the transport stopped");
    }

    /// <summary>Handles the current frame; false when the peer said goodbye.</summary>
    private bool Dispatch()
    {
        var header = _input.Header;
        var payload = _input.Payload;
        if (FrameTypes.IsRaftMessage(header.Type))
        {
            var message = FrameCodec.ReadMessage(header, payload);
            Received(1, FrameHeader.Size + header.Length);
            Deliver(header.PartitionId, message);
            return true;
        }
        switch ((FrameType)header.Type)
        {
            case FrameType.HeartbeatBatch:
                _batch.Clear();
                FrameCodec.WithContiguous(payload, _batch, static (batch, span) =>
                {
                    FrameCodec.ReadHeartbeatBatch(span, batch);
                    return 0;
                });
                Received(_batch.Count, FrameHeader.Size + header.Length);
                foreach (var (partitionId, message) in _batch) Deliver(partitionId, message);
                _batch.Clear();
                return true;
            case FrameType.SnapshotBegin:
                BeginSnapshot(header, payload);
                break;
            case FrameType.SnapshotChunk:
                AppendSnapshot(payload);
                break;
            case FrameType.SnapshotEnd:
            case FrameType.SnapshotAbort:
                EndSnapshot((FrameType)header.Type, payload);
                break;
            case FrameType.Goodbye:
                return false;
            default:
                throw new ProtocolViolationException($"frame type 0x{header.Type:X2} is not expected from a sending peer");
        }
        Received(0, FrameHeader.Size + header.Length);
        return true;
    }

    private int _receivedFrames;
    private int _receivedMessages;
    private long _receivedBytes;

    private void Received(int messages, long bytes)
    {
        _receivedFrames++;
        _receivedMessages += messages;
        _receivedBytes += bytes;
    }

    private void PublishReceived()
    {
        if (_receivedFrames == 0) return;
        _transport.Metrics.Received(_receivedFrames, _receivedMessages, _receivedBytes);
        _receivedFrames = _receivedMessages = 0;
        _receivedBytes = 0;
    }

    private void Deliver(ulong partitionId, Message message)
    {
        try
        {
            _transport.Handler.OnMessage(Peer!, partitionId, message);
        }
        catch (Exception e)
        {
            TransportLog.HandlerFailed(_transport.Logger, e, Peer!, partitionId);
        }
    }

    private async Task WriteControlAsync()
    {
        var output = _link.Output;
        var reader = _control.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_supervision.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.Type == FrameType.Goodbye) FrameCodec.WriteEmpty(output, FrameType.Goodbye);
                    else FrameCodec.WriteStreamControl(output, frame.Type, frame.PartitionId, frame.StreamId, frame.Value);
                }
                var result = await output.FlushAsync(_supervision.Token).ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException
                                      or System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The read loop notices a broken link on its own and reports it once.
        }
    }

    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> payload) =>
        payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
}
