using System.Collections.Concurrent;
using System.Threading.Channels;
using Lux.Raft;
using Lux.Raft.Transport.Sessions;

namespace Lux.Raft.Transport.InMemory;

/// <summary>
/// The peer channel inside one process, for tests: the same contract as TCP and HTTP (non-blocking bounded sends,
/// per-peer order, unreachable reports, snapshot streaming with backpressure), without sockets or codec.
/// </summary>
public sealed class InMemoryTransport : IPeerTransport
{
    private readonly InMemoryNetwork _network;
    private readonly IRaftMessageHandler _handler;
    private readonly int _queueCapacity;
    private readonly int _snapshotWindow;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly TransportStatistics _statistics = new();
    private int _state;

    /// <summary>Creates a transport for <paramref name="nodeId"/> on <paramref name="network"/>.</summary>
    public InMemoryTransport(InMemoryNetwork network, string nodeId, IRaftMessageHandler handler, int queueCapacity = 8192, int snapshotWindowBytes = 1024 * 1024)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotWindowBytes, 1024);
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        NodeId = nodeId;
        _queueCapacity = queueCapacity;
        _snapshotWindow = snapshotWindowBytes;
    }

    /// <inheritdoc />
    public string NodeId { get; }

    /// <inheritdoc />
    public TransportStatistics Statistics => _statistics;

    /// <inheritdoc />
    public ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the transport was already started");
        _network.Listen(this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public bool TrySend(string peer, ulong partitionId, Message message) => TrySend(peer, [(partitionId, message)]);

    /// <inheritdoc />
    public bool TrySend(string peer, ReadOnlySpan<(ulong PartitionId, Message Message)> messages)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        foreach (var (_, message) in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (message.Type.IsLocal()) throw new ArgumentException($"{message.Type} is local and never crosses the network", nameof(messages));
        }
        if (Volatile.Read(ref _state) < 2 && _network.Find(peer) is not null)
        {
            var lane = _lanes.GetOrAdd(peer, static (p, self) => self.StartLane(p), this);
            if (lane.TryEnqueue(messages)) return true;
        }
        else
        {
            Report(peer);
        }
        foreach (var (partitionId, message) in messages) Dropped(peer, partitionId, message);
        return false;
    }

    /// <inheritdoc />
    public async ValueTask SendSnapshotAsync(string peer, ulong partitionId, Message snapshotMessage, Stream data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshotMessage);
        ArgumentNullException.ThrowIfNull(data);
        if (snapshotMessage.Type != MessageType.Snapshot) throw new ArgumentException("a snapshot is sent with a Snapshot message", nameof(snapshotMessage));
        var target = Volatile.Read(ref _state) < 2 ? _network.Find(peer) : null;
        if (target is null) throw new PeerChannelException($"peer '{peer}' is unreachable");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        // The same credit-based flow control as on the wire: the sender reads no further than the receiver has room for.
        var credit = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        long granted = _snapshotWindow;
        await using var stream = new SnapshotReceiveStream(_snapshotWindow, ChunkSize, bytes =>
        {
            Interlocked.Add(ref granted, (long)bytes);
            credit.Writer.TryWrite(true);
        });
        var receiving = target.ReceiveSnapshotAsync(NodeId, partitionId, snapshotMessage, stream, linked.Token);
        var buffer = new byte[ChunkSize];
        long sent = 0;
        try
        {
            while (!receiving.IsCompleted)
            {
                var room = Interlocked.Read(ref granted) - sent;
                if (room <= 0)
                {
                    await Task.WhenAny(credit.Reader.WaitToReadAsync(linked.Token).AsTask(), receiving).ConfigureAwait(false);
                    credit.Reader.TryRead(out _);
                    linked.Token.ThrowIfCancellationRequested();
                    continue;
                }
                var n = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(room, buffer.Length)), linked.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    stream.Complete((ulong)sent);
                    break;
                }
                stream.Append(new System.Buffers.ReadOnlySequence<byte>(buffer, 0, n));
                sent += n;
            }
        }
        catch (Exception e)
        {
            stream.Fault(e);
            await receiving.ConfigureAwait(false);
            throw;
        }
        if (!await receiving.ConfigureAwait(false)) throw new PeerChannelException($"peer '{peer}' failed to take the snapshot of partition {partitionId}");
    }

    private const int ChunkSize = 64 * 1024;

    /// <inheritdoc />
    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) >= 2) return;
        _network.Leave(this);
        foreach (var lane in _lanes.Values) lane.Complete();
        try
        {
            await Task.WhenAll(_lanes.Values.Select(l => l.Drained)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await StopAsync(grace.Token).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task<bool> ReceiveSnapshotAsync(string from, ulong partitionId, Message message, Stream data, CancellationToken ct)
    {
        // Off the sender's call stack, as a real receiver runs on its own side of the wire.
        await Task.Yield();
        try
        {
            await _handler.OnSnapshotAsync(from, partitionId, message, data, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private Lane StartLane(string peer)
    {
        var lane = new Lane(this, peer, _queueCapacity);
        lane.Drained = Task.Run(lane.RunAsync);
        return lane;
    }

    private void Deliver(string from, ulong partitionId, Message message)
    {
        Interlocked.Increment(ref _statistics.framesReceived);
        Interlocked.Increment(ref _statistics.messagesReceived);
        try
        {
            _handler.OnMessage(from, partitionId, message);
        }
        catch (Exception)
        {
            // A throwing handler must not stop deliveries to other partitions, as on the real transports.
        }
    }

    private void Dropped(string peer, ulong partitionId, Message message)
    {
        Interlocked.Increment(ref _statistics.messagesDropped);
        _handler.OnUnreachable(peer, partitionId, message.To);
    }

    private void Report(string peer) => _handler.OnPeerUnreachable(peer);

    /// <summary>The ordered, bounded path from this node to one peer.</summary>
    private sealed class Lane(InMemoryTransport owner, string peer, int capacity)
    {
        private readonly Channel<(ulong PartitionId, Message Message)> _queue = Channel.CreateBounded<(ulong, Message)>(
            new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        private readonly Lock _gate = new();

        public Task Drained { get; set; } = Task.CompletedTask;

        public bool TryEnqueue(ReadOnlySpan<(ulong PartitionId, Message Message)> messages)
        {
            // All or none, as on the real transports: the lock keeps a batch together against other senders.
            lock (_gate)
            {
                if (_queue.Reader.Count + messages.Length > capacity) return false;
                foreach (var item in messages)
                {
                    if (!_queue.Writer.TryWrite(item)) return false;
                }
            }
            return true;
        }

        public void Complete() => _queue.Writer.TryComplete();

        public async Task RunAsync()
        {
            await foreach (var (partitionId, message) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                Interlocked.Increment(ref owner._statistics.framesSent);
                Interlocked.Increment(ref owner._statistics.messagesSent);
                var target = owner._network.Find(peer);
                if (target is null)
                {
                    owner.Dropped(peer, partitionId, message);
                    continue;
                }
                target.Deliver(owner.NodeId, partitionId, message);
            }
        }
    }
}
