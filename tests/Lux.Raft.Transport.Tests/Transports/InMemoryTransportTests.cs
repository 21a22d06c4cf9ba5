using Lux.Raft.Transport.InMemory;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Transports;

public sealed class InMemoryTransportTests(ITestOutputHelper output) : TransportSuite(output)
{
    private readonly InMemoryNetwork _network = new();
    private readonly ManualResetEventSlim _holeOpen = new(false);

    protected override async Task<IPeerTransport> StartNodeAsync(string nodeId, IRaftMessageHandler handler, Action<PeerChannelOptions>? configure = null)
    {
        var options = Options(nodeId);
        configure?.Invoke(options);
        var transport = new InMemoryTransport(_network, nodeId, handler, options.SendQueueCapacity, options.SnapshotWindowBytes);
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }

    protected override async Task<string> BlackHolePeerAsync()
    {
        // Its handler never returns until the test ends, so the lane to it stops draining.
        await Node("hole", new RecordingHandler { OnEach = _ => _holeOpen.Wait(TimeSpan.FromSeconds(30)) });
        return "hole";
    }

    [Fact]
    public async Task A_send_to_a_peer_that_is_not_listening_fails_at_once()
    {
        var handler = new RecordingHandler();
        var a = await Node("a", handler);
        Assert.False(a.TrySend("nobody", 1, Messages.Append(1)));
        Assert.Single(handler.Unreachable);
        await Assert.ThrowsAsync<PeerChannelException>(async () =>
            await a.SendSnapshotAsync("nobody", 1, new Message { Type = MessageType.Snapshot }, new MemoryStream(), CancellationToken.None));
        _holeOpen.Set();
    }

    public override async Task DisposeAsync()
    {
        _holeOpen.Set();
        await base.DisposeAsync();
    }
}
