using System.Net;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Transports;

/// <summary>
/// The behaviour every transport owes the Raft host, run against in-memory, TCP and HTTP alike: delivery of every field,
/// order per peer, multiplexing, unreachable reports, bounded queues, reconnection, snapshot streaming, shutdown.
/// </summary>
public abstract class TransportSuite(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IPeerTransport> _transports = [];

    protected ITestOutputHelper Output { get; } = output;

    protected StaticPeerDirectory Directory { get; } = new();

    protected TestLoggerFactory Logs { get; } = new(output);

    /// <summary>Creates and starts a transport for <paramref name="nodeId"/>, registered in <see cref="Directory"/>.</summary>
    protected abstract Task<IPeerTransport> StartNodeAsync(string nodeId, IRaftMessageHandler handler, Action<PeerChannelOptions>? configure = null);

    /// <summary>A peer id that accepts a connection but never answers: sends to it pile up in the queue.</summary>
    protected abstract Task<string> BlackHolePeerAsync();

    protected async Task<IPeerTransport> Node(string nodeId, IRaftMessageHandler handler, Action<PeerChannelOptions>? configure = null)
    {
        var transport = await StartNodeAsync(nodeId, handler, configure);
        _transports.Add(transport);
        return transport;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var transport in _transports) await transport.DisposeAsync();
    }

    protected static PeerChannelOptions Options(string nodeId) => new()
    {
        NodeId = nodeId, ClusterSecret = "a cluster secret for tests", ListenPort = 0,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task A_message_arrives_with_every_field_and_its_partition()
    {
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        foreach (var type in Messages.WireTypes)
            Assert.True(a.TrySend("b", 1000 + (ulong)type, Messages.Full(type)));
        await Wait.Until(() => b.Count == Messages.WireTypes.Length, "all message types delivered");
        foreach (var (from, partition, message) in b.Messages)
        {
            Assert.Equal("a", from);
            Assert.Equal(1000 + (ulong)message.Type, partition);
            Messages.AssertSame(Messages.Full(message.Type), message);
        }
    }

    [Fact]
    public async Task Messages_to_one_peer_arrive_in_the_order_they_were_sent()
    {
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        const int count = 3000;
        for (var i = 1; i <= count; i++)
        {
            Assert.True(a.TrySend("b", (ulong)(i % 7), Messages.Append((ulong)i)));
        }
        await Wait.Until(() => b.Count == count, $"{count} messages delivered");
        Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong)i), b.Messages.Select(m => m.Message.Index));
        Assert.All(b.Messages, m => Assert.Equal(m.Message.Index % 7, m.PartitionId));
    }

    [Fact]
    public async Task Delivered_entries_keep_their_bytes_while_the_connection_reuses_its_buffers_for_later_frames()
    {
        // The handler keeps every message, as a replica's log does; ~2.7 MB pass through the same receive buffers after
        // the first ones were delivered, so an entry that pointed into them would be overwritten.
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        const int count = 2000;
        for (var i = 1; i <= count; i++) Assert.True(a.TrySend("b", 1, Stamped(i)));
        await Wait.Until(() => b.Count == count, $"{count} stamped appends delivered");
        foreach (var (_, _, message) in b.Messages) Messages.AssertSame(Stamped((int)(message.Index / 64)), message);
    }

    /// <summary>An Append whose every byte of data and context depends on <paramref name="stamp"/>.</summary>
    private static Message Stamped(int stamp) => new()
    {
        Type = MessageType.Append, To = 2, From = 1, Term = 4, LogTerm = 4, Index = (ulong)stamp * 64,
        Entries = Enumerable.Range(1, 64).Select(k => new Entry((ulong)stamp * 64 + (ulong)k, 4,
            Enumerable.Range(0, 16).Select(j => (byte)(stamp * 31 + k * 7 + j)).ToArray())).ToArray(),
        Context = BitConverter.GetBytes((long)stamp * 1_000_003),
    };

    [Fact]
    public async Task Many_partitions_share_the_channel_both_ways()
    {
        var aHandler = new RecordingHandler();
        var bHandler = new RecordingHandler();
        var a = await Node("a", aHandler);
        var b = await Node("b", bHandler);
        for (ulong p = 1; p <= 200; p++)
        {
            Assert.True(a.TrySend("b", p, new Message { Type = MessageType.Vote, From = 1, To = 2, Term = p }));
            Assert.True(b.TrySend("a", p, new Message { Type = MessageType.VoteResponse, From = 2, To = 1, Term = p }));
        }
        await Wait.Until(() => aHandler.Count == 200 && bHandler.Count == 200, "200 messages each way");
        Assert.All(bHandler.Messages, m => Assert.Equal(m.PartitionId, m.Message.Term));
        Assert.All(aHandler.Messages, m => Assert.Equal(m.PartitionId, m.Message.Term));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (ulong)i), aHandler.Messages.Select(m => m.PartitionId).Order());
        Assert.Equal("b", aHandler.Messages.First().From);
    }

    [Fact]
    public async Task A_batch_of_heartbeats_for_a_thousand_partitions_is_delivered()
    {
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        var batch = Enumerable.Range(1, 1000).Select(p => ((ulong)p, Messages.Heartbeat((ulong)p))).ToArray();
        Assert.True(a.TrySend("b", batch));
        await Wait.Until(() => b.Count == 1000, "1000 heartbeats");
        Assert.All(b.Messages, m => Assert.Equal(m.PartitionId, m.Message.Commit));
        Assert.All(b.Messages, m => Assert.Equal(MessageType.Heartbeat, m.Message.Type));
    }

    [Fact]
    public async Task A_peer_nobody_listens_for_is_reported_unreachable()
    {
        var handler = new RecordingHandler();
        var a = await Node("a", handler);
        await UnreachablePeerAsync("ghost");
        a.TrySend("ghost", 5, new Message { Type = MessageType.Append, To = 9, From = 1 });
        await Wait.Until(() => handler.Unreachable.Contains(("ghost", 5UL, 9UL)), "unreachable report for replica 9 of partition 5");
        await Wait.Until(() => handler.PeersUnreachable.Contains("ghost"), "peer reported unreachable");
        Assert.True(a.Statistics.MessagesDropped >= 1);
    }

    /// <summary>Makes <paramref name="peer"/> resolvable to nothing that listens.</summary>
    protected virtual Task UnreachablePeerAsync(string peer) => Task.CompletedTask;

    [Fact]
    public async Task A_full_queue_drops_and_reports_instead_of_growing()
    {
        var handler = new RecordingHandler();
        var a = await Node("a", handler, o => o.SendQueueCapacity = 16);
        var peer = await BlackHolePeerAsync();
        var accepted = 0;
        for (var i = 0; i < 100; i++)
            if (a.TrySend(peer, 3, new Message { Type = MessageType.Vote, To = 4, From = 1, Term = (ulong)i })) accepted++;
        // The capacity, plus at most one message a transport already took off the queue.
        Assert.InRange(accepted, 16, 17);
        Assert.Contains((peer, 3UL, 4UL), handler.Unreachable);
        Assert.True(a.Statistics.MessagesDropped >= 100 - accepted);
    }

    [Fact]
    public async Task Sending_resumes_after_the_peer_restarts()
    {
        var aHandler = new RecordingHandler();
        var b1 = new RecordingHandler();
        var a = await Node("a", aHandler);
        var b = await Node("b", b1);
        Assert.True(a.TrySend("b", 1, Messages.Append(1)));
        await Wait.Until(() => b1.Count == 1, "first delivery");

        await b.StopAsync(CancellationToken.None);
        await RestartGapAsync();
        var b2 = new RecordingHandler();
        await Node("b", b2);
        var sent = 1UL;
        await Wait.Until(() =>
        {
            if (b2.Count == 0) a.TrySend("b", 1, Messages.Append(++sent));
            return b2.Count > 0;
        }, "delivery to the restarted peer");
        Assert.Equal("a", b2.Messages.First().From);
        await ReconnectedAsync(a);
    }

    /// <summary>What happens between a listener stopping and its replacement starting (the real transports send into the gap).</summary>
    protected virtual Task RestartGapAsync() => Task.CompletedTask;

    /// <summary>Checks the transport counted the reconnection, where it has connections.</summary>
    protected virtual Task ReconnectedAsync(IPeerTransport transport) => Task.CompletedTask;

    [Fact]
    public async Task A_large_snapshot_streams_through_with_bounded_memory()
    {
        // 64 MiB here, beside other tests; SnapshotMemoryTests streams 256 MiB alone and checks the process's allocations.
        const long size = 64L * 1024 * 1024;
        var source = new GeneratedStream(size, seed: 7);
        long maxAhead = 0;
        uint receivedCrc = Codec.Crc32CState.Seed;
        long received = 0;
        var b = new RecordingHandler
        {
            SnapshotHandler = async (_, _, _, data, ct) =>
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await data.ReadAsync(buffer, ct)) > 0)
                {
                    received += n;
                    receivedCrc = Lux.Raft.Transport.Codec.Crc32C.Append(receivedCrc, buffer.AsSpan(0, n));
                    maxAhead = Math.Max(maxAhead, source.Position - received);
                }
            },
        };
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        var snapshot = new Message { Type = MessageType.Snapshot, To = 2, From = 1, Term = 4, Snapshot = new SnapshotMetadata(1000, 4, ConfState.OfVoters(1, 2, 3)) };

        await Wait.For(a.SendSnapshotAsync("b", 12, snapshot, source, CancellationToken.None).AsTask(), "snapshot sent", TimeSpan.FromMinutes(2));

        Assert.Equal(size, received);
        Assert.Equal(Lux.Raft.Transport.Codec.Crc32C.Finish(source.Crc), Lux.Raft.Transport.Codec.Crc32C.Finish(receivedCrc));
        Output.WriteLine($"sender read ahead of the receiver by at most {maxAhead / 1024} KiB");
        // The sender may be ahead by the flow-control window plus what sits in buffers, never by a large part of the snapshot.
        Assert.True(maxAhead <= 8L * 1024 * 1024, $"sender ran {maxAhead} bytes ahead");
    }

    [Fact]
    public async Task A_snapshot_the_receiver_fails_to_take_fails_the_sender()
    {
        var b = new RecordingHandler { SnapshotHandler = (_, _, _, _, _) => throw new InvalidDataException("cannot apply") };
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        var snapshot = new Message { Type = MessageType.Snapshot, Snapshot = new SnapshotMetadata(1, 1, ConfState.OfVoters(1)) };
        await Wait.For(Assert.ThrowsAsync<PeerChannelException>(async () =>
            await a.SendSnapshotAsync("b", 1, snapshot, new GeneratedStream(1 << 20, 1), CancellationToken.None)), "the sender learns of the failure");
        // The channel still works afterwards.
        Assert.True(a.TrySend("b", 1, Messages.Append(1)));
        await Wait.Until(() => b.Count == 1, "a message after the failed snapshot");
    }

    [Fact]
    public async Task Snapshot_metadata_and_small_data_arrive_intact()
    {
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        var snapshot = Messages.Full(MessageType.Snapshot);
        await a.SendSnapshotAsync("b", 77, snapshot, new MemoryStream(new byte[12345]), CancellationToken.None);
        var (from, partition, message, length) = Assert.Single(b.Snapshots);
        Assert.Equal(("a", 77UL, 12345L), (from, partition, length));
        Messages.AssertSame(snapshot, message);
        await a.SendSnapshotAsync("b", 78, snapshot, new MemoryStream(), CancellationToken.None);
        Assert.Equal(0L, b.Snapshots.Last().Length);
    }

    [Fact]
    public async Task Stopping_flushes_what_is_queued_then_refuses_sends()
    {
        var b = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", b);
        Assert.True(a.TrySend("b", 1, Messages.Append(0)));
        await Wait.Until(() => b.Count == 1, "connection up");
        for (var i = 1; i <= 500; i++) Assert.True(a.TrySend("b", 1, Messages.Append((ulong)i)));
        await a.StopAsync(CancellationToken.None);
        await Wait.Until(() => b.Count == 501, "queued messages delivered before the stop completed");
        Assert.False(a.TrySend("b", 1, Messages.Append(999)));
    }

    [Fact]
    public async Task Local_messages_are_refused_at_the_door()
    {
        var a = await Node("a", new RecordingHandler());
        Assert.Throws<ArgumentException>(() => a.TrySend("b", 1, new Message { Type = MessageType.Propose }));
    }
}

/// <summary>A stream of pseudo-random bytes made on the fly, with a running checksum of what was read.</summary>
public sealed class GeneratedStream(long length, int seed) : Stream
{
    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;
    private long _position;

    public uint Crc { get; private set; } = Codec.Crc32CState.Seed;

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        var i = 0;
        for (; i + 8 <= n; i += 8)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(buffer[i..], _state);
        }
        for (; i < n; i++) buffer[i] = (byte)i;
        Crc = Lux.Raft.Transport.Codec.Crc32C.Append(Crc, buffer[..n]);
        Interlocked.Add(ref _position, n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => Interlocked.Read(ref _position); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
