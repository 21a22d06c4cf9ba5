using System.Net;
using System.Net.Sockets;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Transports;

/// <summary>What TCP and HTTP owe beyond the common suite: real connections, so coalescing, reconnection and authentication show.</summary>
public abstract class NetworkTransportSuite(ITestOutputHelper output) : TransportSuite(output)
{
    private readonly List<Socket> _holes = [];

    protected abstract PeerChannelTransport Create(PeerChannelOptions options, IRaftMessageHandler handler);

    protected override async Task<IPeerTransport> StartNodeAsync(string nodeId, IRaftMessageHandler handler, Action<PeerChannelOptions>? configure = null)
    {
        var options = Options(nodeId);
        configure?.Invoke(options);
        var transport = Create(options, handler);
        await transport.StartAsync(CancellationToken.None);
        Directory.Set(nodeId, transport.LocalEndPoint!);
        return transport;
    }

    protected override Task<string> BlackHolePeerAsync()
    {
        // Listens, so connecting succeeds, but never accepts: the handshake never completes and nothing drains the queue.
        var hole = new Socket(SocketType.Stream, ProtocolType.Tcp);
        hole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        hole.Listen(16);
        _holes.Add(hole);
        Directory.Set("hole", hole.LocalEndPoint!);
        return Task.FromResult("hole");
    }

    protected override Task UnreachablePeerAsync(string peer)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Directory.Set(peer, probe.LocalEndPoint!);
        return Task.CompletedTask;
    }

    protected override Task ReconnectedAsync(IPeerTransport transport)
    {
        Assert.True(transport.Statistics.Reconnects >= 1, "the reconnection was counted");
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        foreach (var hole in _holes) hole.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Heartbeats_of_a_thousand_partitions_travel_as_one_frame()
    {
        var bHandler = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        var b = await Node("b", bHandler);
        Assert.True(a.TrySend("b", 1, Messages.Append(1)));
        await Wait.Until(() => bHandler.Count == 1, "connection up");
        var framesSent = a.Statistics.FramesSent;
        var framesReceived = b.Statistics.FramesReceived;

        var heartbeats = Enumerable.Range(1, 1000).Select(p => ((ulong)p, Messages.Heartbeat((ulong)p))).ToArray();
        Assert.True(a.TrySend("b", heartbeats));
        await Wait.Until(() => bHandler.Count == 1001, "1000 heartbeats delivered");
        // The sender counts a flush once it completes, which may be just after the receiver has the frame.
        await Wait.Until(() => a.Statistics.HeartbeatBatchesSent >= 1, "the sender counted its flush");
        await Wait.Until(() => b.Statistics.FramesReceived > framesReceived, "the receiver counted the frame");

        Assert.Equal(1, a.Statistics.FramesSent - framesSent);
        Assert.Equal(1, b.Statistics.FramesReceived - framesReceived);
        Assert.Equal(1, a.Statistics.HeartbeatBatchesSent);
        Assert.Equal(Enumerable.Range(1, 1000).Select(p => (ulong)p), bHandler.Messages.Skip(1).Select(m => m.PartitionId));
    }

    [Fact]
    public async Task Heartbeats_queued_one_by_one_while_connecting_share_a_frame()
    {
        var bHandler = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        var b = await Node("b", bHandler);
        // Nothing has connected yet, so all of these wait in the queue for the first flush.
        for (ulong p = 1; p <= 300; p++) Assert.True(a.TrySend("b", p, Messages.Heartbeat(p)));
        await Wait.Until(() => bHandler.Count == 300, "300 heartbeats delivered");
        Assert.True(b.Statistics.FramesReceived < 300, $"{b.Statistics.FramesReceived} frames for 300 heartbeats");
    }

    [Fact]
    public async Task One_connection_per_ordered_pair_carries_all_partitions()
    {
        var bHandler = new RecordingHandler();
        var a = await Node("a", new RecordingHandler());
        await Node("b", bHandler);
        for (ulong p = 1; p <= 500; p++) Assert.True(a.TrySend("b", p, Messages.Append(p)));
        await Wait.Until(() => bHandler.Count == 500, "500 partitions' messages");
        Assert.Equal(1, Logs.CountOf(LogEvents.Accepted));
    }

    [Fact]
    public async Task A_peer_with_the_wrong_secret_gets_nothing_accepted()
    {
        var bHandler = new RecordingHandler();
        var intruderHandler = new RecordingHandler();
        var b = await Node("b", bHandler);
        var intruder = await Node("intruder", intruderHandler, o => o.ClusterSecret = "not the cluster's secret at all");
        Assert.True(intruder.TrySend("b", 1, Messages.Append(1)));
        intruder.TrySend("b", 1, new Message { Type = MessageType.Vote, From = 9, To = 2, Term = 100 });
        await Wait.Until(() => intruderHandler.PeersUnreachable.Contains("b"), "the intruder sees b as unreachable");
        await Wait.Until(() => b.Statistics.ConnectionsRefused >= 1 || Logs.CountOf(LogEvents.HandshakeFailed) >= 1, "refusal");
        Assert.Equal(0, bHandler.Count);
        Assert.Equal(0, b.Statistics.MessagesReceived);
        // The intruder could not verify b either: b's proof does not match the intruder's secret.
        Assert.True(Logs.CountOf(LogEvents.HandshakeFailed) >= 1);
    }
}

public sealed class TcpTransportTests(ITestOutputHelper output) : NetworkTransportSuite(output)
{
    protected override PeerChannelTransport Create(PeerChannelOptions options, IRaftMessageHandler handler) =>
        new Tcp.TcpTransport(options, Directory, handler, Logs);
}

public sealed class HttpTransportTests(ITestOutputHelper output) : NetworkTransportSuite(output)
{
    protected override PeerChannelTransport Create(PeerChannelOptions options, IRaftMessageHandler handler) =>
        new Http.HttpTransport(options, Directory, handler, Logs);
}
