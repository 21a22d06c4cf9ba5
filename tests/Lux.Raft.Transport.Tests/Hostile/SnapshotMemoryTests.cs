using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.InMemory;
using Lux.Raft.Transport.Tcp;
using Lux.Raft.Transport.Tests.Support;
using Lux.Raft.Transport.Tests.Transports;

namespace Lux.Raft.Transport.Tests.Hostile;

/// <summary>
/// A 256 MiB snapshot, generated on the fly, crosses each transport while nothing else runs, so the process's allocation
/// counter speaks for the transfer alone: it stays a small fraction of the snapshot's size.
/// </summary>
[Collection(nameof(Alone))]
public sealed class SnapshotMemoryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("http")]
    [InlineData("memory")]
    public async Task A_256_MiB_snapshot_allocates_a_small_fraction_of_its_size(string protocol)
    {
        const long size = 256L * 1024 * 1024;
        var directory = new StaticPeerDirectory();
        var network = new InMemoryNetwork();
        long received = 0;
        var receiver = new RecordingHandler
        {
            SnapshotHandler = async (_, _, _, data, ct) =>
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await data.ReadAsync(buffer, ct)) > 0) received += n;
            },
        };
        await using var a = Create(protocol, "a", new RecordingHandler(), directory, network);
        await using var b = Create(protocol, "b", receiver, directory, network);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        if (a is PeerChannelTransport pa && b is PeerChannelTransport pb) directory.Set("a", pa.LocalEndPoint!).Set("b", pb.LocalEndPoint!);
        // Warm the connection so its one-time costs are not counted.
        await a.SendSnapshotAsync("b", 1, new Message { Type = MessageType.Snapshot }, new GeneratedStream(1 << 20, 1), CancellationToken.None);
        received = 0;

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Wait.For(a.SendSnapshotAsync("b", 1, new Message { Type = MessageType.Snapshot }, new GeneratedStream(size, 2), CancellationToken.None).AsTask(),
            "snapshot sent", TimeSpan.FromMinutes(2));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"{protocol}: allocated {allocated / 1024} KiB while streaming {size / (1024 * 1024)} MiB");
        Assert.Equal(size, received);
        Assert.True(allocated < size / 16, $"allocated {allocated} bytes for a {size}-byte snapshot");
    }

    private static IPeerTransport Create(string protocol, string nodeId, IRaftMessageHandler handler, StaticPeerDirectory directory, InMemoryNetwork network)
    {
        var options = new PeerChannelOptions { NodeId = nodeId, ClusterSecret = "the cluster secret of the snapshot tests" };
        return protocol switch
        {
            "tcp" => new TcpTransport(options, directory, handler),
            "http" => new HttpTransport(options, directory, handler),
            _ => new InMemoryTransport(network, nodeId, handler),
        };
    }
}
