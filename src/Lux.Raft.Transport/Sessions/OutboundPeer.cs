using System.Collections.Concurrent;
using Lux.Raft;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Diagnostics;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// Everything this silo sends to one peer: the bounded queue, the connection (made when there is something to send,
/// remade after a loss with exponential backoff and jitter), the writer that drains the queue into frames, and the
/// snapshot streams in flight. While a reconnection is backing off, sends fail fast and are reported unreachable rather
/// than piling up.
/// </summary>
internal sealed partial class OutboundPeer
{
    private enum PeerState { Idle, Connecting, Connected, Backoff, Stopped }

    private readonly PeerChannelTransport _transport;
    private readonly PeerChannelOptions _options;
    private readonly SendQueue _queue;
    private readonly ConcurrentDictionary<ulong, SnapshotSender> _snapshots = new();
    private readonly SemaphoreSlim _snapshotSlots;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile PeerState _state = PeerState.Idle;
    private volatile bool _stopping;
    private int _demand;
    private long _nextStreamId;
    private long _epoch;
    private bool _everConnected;

    public OutboundPeer(PeerChannelTransport transport, string peer)
    {
        _transport = transport;
        _options = transport.Options;
        Peer = peer;
        _queue = new SendQueue(_options.SendQueueCapacity, _options.SendQueueMaxBytes);
        _snapshotSlots = new SemaphoreSlim(_options.MaxConcurrentSnapshots);
    }

    public string Peer { get; }

    public void Start() => _ = Task.Run(RunAsync);

    public bool TrySend(ulong partitionId, Message message)
    {
        if (AcceptsSends() && _queue.TryEnqueue(partitionId, message)) return true;
        _transport.ReportDropped(Peer, partitionId, message);
        return false;
    }

    public bool TrySend(ReadOnlySpan<(ulong PartitionId, Message Message)> messages)
    {
        if (AcceptsSends() && _queue.TryEnqueue(messages)) return true;
        foreach (var (partitionId, message) in messages) _transport.ReportDropped(Peer, partitionId, message);
        return false;
    }

    public async ValueTask SendSnapshotAsync(ulong partitionId, Message message, Stream data, CancellationToken ct)
    {
        if (!AcceptsSends()) throw new PeerChannelException($"peer '{Peer}' is unreachable");
        await _snapshotSlots.WaitAsync(ct).ConfigureAwait(false);
        var sender = new SnapshotSender((ulong)Interlocked.Increment(ref _nextStreamId), partitionId, message, data, _options.SnapshotChunkSize);
        _snapshots[sender.StreamId] = sender;
        try
        {
            var status = await sender.RunAsync(_queue, ct).ConfigureAwait(false);
            if (status != SnapshotStatus.Accepted) throw new PeerChannelException($"peer '{Peer}' refused the snapshot of partition {partitionId}: {status}");
        }
        catch (Exception e) when (e is not (PeerChannelException or OperationCanceledException))
        {
            throw new PeerChannelException($"snapshot of partition {partitionId} to '{Peer}' failed: {e.Message}", e);
        }
        finally
        {
            _snapshots.TryRemove(sender.StreamId, out _);
            _snapshotSlots.Release();
        }
    }

    /// <summary>Flushes what is queued if connected, says goodbye, and ends the connection loop.</summary>
    public Task StopAsync()
    {
        _stopping = true;
        _queue.Wake();
        return _stopped.Task;
    }

    /// <summary>A send is refused outright while backing off after a failure, and once stopped; the attempt still asks for a connection.</summary>
    private bool AcceptsSends()
    {
        var state = _state;
        if (state is PeerState.Idle or PeerState.Connecting or PeerState.Connected) return true;
        if (state == PeerState.Backoff)
        {
            Volatile.Write(ref _demand, 1);
        }
        return false;
    }

    private async Task RunAsync()
    {
        var stop = _transport.HardStopToken;
        using var wakeOnStop = stop.UnsafeRegister(static queue => ((SendQueue)queue!).Wake(), _queue);
        var attempt = 0;
        try
        {
            while (!_stopping && !stop.IsCancellationRequested)
            {
                await WaitForDemandAsync(stop).ConfigureAwait(false);
                if (_stopping) break;
                _state = PeerState.Connecting;
                Exception? failure = null;
                var wasConnected = false;
                PeerLink? link = null;
                try
                {
                    if (!_transport.Directory.TryResolve(Peer, out var endPoint))
                    {
                        TransportLog.PeerUnknown(_transport.Logger, Peer);
                        throw new PeerChannelException($"peer '{Peer}' is not in the directory");
                    }
                    using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
                    {
                        connectTimeout.CancelAfter(_options.ConnectTimeout);
                        link = await _transport.OpenLinkAsync(Peer, endPoint, connectTimeout.Token).ConfigureAwait(false);
                    }
                    wasConnected = await RunSessionAsync(link, endPoint.ToString() ?? "?", stop).ConfigureAwait(false);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    failure = e;
                    wasConnected = _state == PeerState.Connected;
                }
                finally
                {
                    if (link is not null) await link.DisposeAsync().ConfigureAwait(false);
                }
                if (failure is null || stop.IsCancellationRequested) break;

                if (wasConnected) attempt = 0;
                _state = PeerState.Backoff;
                DropQueued();
                FailSnapshots(failure);
                _transport.ReportPeerUnreachable(Peer);
                var delay = BackoffDelay(attempt++);
                if (wasConnected) TransportLog.OutboundLost(_transport.Logger, Peer, failure.Message);
                TransportLog.ConnectFailed(_transport.Logger, failure, Peer,
                    (long)delay.TotalMilliseconds);
                await Task.Delay(delay, stop).ConfigureAwait(false);
                _state = PeerState.Idle;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _state = PeerState.Stopped;
            DropQueued();
            FailSnapshots(new PeerChannelException("the transport stopped"));
            _stopped.TrySetResult();
        }
    }

    private async ValueTask WaitForDemandAsync(CancellationToken stop)
    {
        while (!_stopping && _queue.Count == 0 && Interlocked.Exchange(ref _demand, 0) == 0)
        {
            await _queue.WaitAsync().ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
        }
    }

    private TimeSpan BackoffDelay(int attempt) => BackoffDelay(attempt, _options.ReconnectMinDelay, _options.ReconnectMaxDelay, Random.Shared);

    /// <summary>Exponential backoff with equal jitter: half the delay is fixed, half random, so peers do not retry in step.</summary>
    internal static TimeSpan BackoffDelay(int attempt, TimeSpan min, TimeSpan max, Random random)
    {
        var ceiling = Math.Min(max.Ticks, min.Ticks * (1L << Math.Min(attempt, 20)));
        return TimeSpan.FromTicks(ceiling / 2 + (long)(random.NextDouble() * (ceiling / 2)));
    }

    /// <summary>Runs one connection: handshake, then the writer here and the control reader beside it.</summary>
    /// <returns>True when it ended by a graceful stop.</returns>
    private async ValueTask<bool> RunSessionAsync(PeerLink link, string endPoint, CancellationToken stop)
    {
        using var supervision = _transport.Watchdog.Watch(stop);
        supervision.OnAbort = link.Abort;
        var input = new FrameInput(link.Input);
        supervision.Input = input;
        try
        {
            var version = await Handshake.ClientAsync(link, input, _transport.Authenticator, _transport.NodeId, Peer, supervision.Token).ConfigureAwait(false);
            input.Version = version;
        }
        catch (OperationCanceledException) when (supervision.AbortReason is { } reason && !stop.IsCancellationRequested)
        {
            throw new TimeoutException(reason);
        }
        catch (AuthenticationRefusedException e)
        {
            TransportLog.HandshakeFailed(_transport.Logger, Peer, e.Message);
            throw;
        }
        supervision.Authenticated = true;
        var epoch = Interlocked.Increment(ref _epoch);
        _state = PeerState.Connected;
        if (_everConnected) _transport.Metrics.Reconnected();
        _everConnected = true;
        TransportLog.Connected(_transport.Logger, Peer, endPoint);

        var control = ReadControlAsync(input, supervision);
        try
        {
            await WriteLoopAsync(link, epoch, supervision.Token).ConfigureAwait(false);
            // Goodbye is flushed: end our direction and give the peer a moment to read it all and close, so closing
            // here cannot cut off frames still in transit (an HTTP/2 stream reset would discard them).
            await link.HalfCloseAsync().ConfigureAwait(false);
            try
            {
                await control.WaitAsync(_options.ConnectTimeout, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
            }
            return true;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            throw new IOException(supervision.AbortReason ?? "connection closed");
        }
        finally
        {
            supervision.Cancel("session ended");
            await control.ConfigureAwait(false);
        }
    }

    private async Task ReadControlAsync(FrameInput input, Supervision supervision)
    {
        try
        {
            while (await input.NextAsync(FrameCodec.MaxHandshakePayload, supervision.Token).ConfigureAwait(false))
            {
                var header = input.Header;
                switch ((FrameType)header.Type)
                {
                    case FrameType.SnapshotCredit:
                    {
                        var (streamId, bytes) = FrameCodec.ReadStreamControl(Contiguous(input));
                        if (_snapshots.TryGetValue(streamId, out var sender)) sender.AddCredit(bytes);
                        break;
                    }
                    case FrameType.SnapshotResult:
                    {
                        var (streamId, status) = FrameCodec.ReadStreamControl(Contiguous(input));
                        if (status > (ulong)SnapshotStatus.Busy) throw new ProtocolViolationException($"unknown snapshot status {status}");
                        if (_snapshots.TryGetValue(streamId, out var sender)) sender.SetResult((SnapshotStatus)status);
                        break;
                    }
                    case FrameType.Goodbye:
                        supervision.Abort("peer closed the connection (goodbye)");
                        return;
                    default:
                        throw new ProtocolViolationException($"frame type 0x{header.Type:X2} is not expected from a receiving peer");
                }
            }
            supervision.Abort("connection closed by peer");
        }
        catch (OperationCanceledException) when (supervision.Token.IsCancellationRequested)
        {
        }
        catch (ProtocolViolationException e)
        {
            _transport.Metrics.ProtocolError();
            TransportLog.ProtocolViolation(_transport.Logger, "outbound", Peer, e.Message);
            supervision.Abort(e.Message);
        }
        catch (Exception e)
        {
            supervision.Abort(e.Message);
        }
        finally
        {
            input.Release();
        }
    }

    private static ReadOnlySpan<byte> Contiguous(FrameInput input) =>
        input.Payload.IsSingleSegment ? input.Payload.FirstSpan : System.Buffers.BuffersExtensions.ToArray(input.Payload);
}
