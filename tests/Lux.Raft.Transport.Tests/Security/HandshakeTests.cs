using Lux.Raft.Transport.Tcp;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Security;

/// <summary>The cluster-secret handshake, driven by hand against a live TCP listener.</summary>
public sealed class HandshakeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "the cluster secret of the handshake tests";
    private readonly TestLoggerFactory _logs = new(output);
    private readonly RecordingHandler _handler = new();
    private TcpTransport _server = null!;

    public async Task InitializeAsync()
    {
        _server = new TcpTransport(new PeerChannelOptions { NodeId = "server", ClusterSecret = Secret, HandshakeTimeout = TimeSpan.FromSeconds(2) },
            new StaticPeerDirectory(), _handler, _logs);
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly Message Vote = new() { Type = MessageType.Vote, From = 5, To = 1, Term = 99, LogTerm = 9, Index = 9 };

    [Fact]
    public async Task A_peer_that_knows_the_secret_gets_in_and_is_heard()
    {
        await using var peer = await RawPeer.ConnectAsync(_server.LocalEndPoint!);
        await peer.HandshakeAsync(Secret, "client", "server");
        Assert.True(await peer.WelcomedAsync());
        await peer.SendAsync(RawPeer.MessageFrame(3, Vote));
        await Wait.Until(() => _handler.Count == 1, "the vote is delivered");
        Assert.Equal(("client", 3UL), (_handler.Messages.Single().From, _handler.Messages.Single().PartitionId));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_and_its_vote_never_counted()
    {
        await using var peer = await RawPeer.ConnectAsync(_server.LocalEndPoint!);
        await peer.HandshakeAsync("some other secret entirely", "client", "server");
        await peer.TrySendAsync(RawPeer.MessageFrame(3, Vote));
        await peer.TrySendAsync(RawPeer.MessageFrame(3, Messages.Append(10)));
        Assert.False(await peer.WelcomedAsync());
        Assert.True(await peer.ClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await Wait.Until(() => _logs.CountOf(LogEvents.Refused) >= 1, "a refusal log line");
        Assert.Equal(0, _handler.Count);
        Assert.Contains(_logs.Lines, l => l.Text.Contains("failed to prove the cluster secret"));
    }

    [Fact]
    public async Task A_replayed_proof_does_not_open_a_second_connection()
    {
        byte[] captured;
        await using (var first = await RawPeer.ConnectAsync(_server.LocalEndPoint!))
        {
            await first.HandshakeAsync(Secret, "client", "server");
            Assert.True(await first.WelcomedAsync());
            captured = first.LastClientProof;
        }
        await using var replay = await RawPeer.ConnectAsync(_server.LocalEndPoint!);
        await replay.HandshakeAsync("attacker does not know it", "client", "server", proofOverride: captured);
        await replay.TrySendAsync(RawPeer.MessageFrame(1, Vote));
        Assert.False(await replay.WelcomedAsync());
        Assert.True(await replay.ClosedByServerAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, _handler.Count);
        Assert.True(_server.Statistics.ConnectionsRefused >= 1);
    }

    [Fact]
    public async Task A_raft_frame_before_the_handshake_closes_the_connection()
    {
        await using var peer = await RawPeer.ConnectAsync(_server.LocalEndPoint!);
        await peer.TrySendAsync(RawPeer.MessageFrame(1, Messages.Append(5)));
        Assert.True(await peer.ClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await Wait.Until(() => _logs.CountOf(LogEvents.ProtocolViolation) >= 1, "a protocol-violation log line");
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task A_hello_addressed_to_another_node_is_refused()
    {
        await using var peer = await RawPeer.ConnectAsync(_server.LocalEndPoint!);
        await Assert.ThrowsAsync<IOException>(() => peer.HandshakeAsync(Secret, "client", "someone-else"));
        await Wait.Until(() => _logs.CountOf(LogEvents.Refused) >= 1, "a refusal log line");
        Assert.Contains(_logs.Lines, l => l.Text.Contains("addressed to 'someone-else'"));
    }

    [Fact]
    public async Task A_client_refuses_a_server_that_cannot_prove_the_secret_and_sends_it_nothing()
    {
        using var impostor = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        impostor.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        impostor.Listen(1);
        var clientHandler = new RecordingHandler();
        await using var client = new TcpTransport(new PeerChannelOptions { NodeId = "client", ClusterSecret = Secret },
            new StaticPeerDirectory().Set("server", impostor.LocalEndPoint!), clientHandler, _logs);
        await client.StartAsync(CancellationToken.None);
        client.TrySend("server", 1, Vote);

        using var accepted = await impostor.AcceptAsync();
        await using var stream = new System.Net.Sockets.NetworkStream(accepted);
        var received = new List<byte>();
        var buffer = new byte[4096];
        // Read the Hello, answer with a challenge whose proof is made up.
        while (received.Count < Lux.Raft.Transport.Codec.FrameHeader.Size + 40)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0) break;
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Lux.Raft.Transport.Codec.FrameCodec.WriteChallenge(writer, new Lux.Raft.Transport.Codec.ChallengeFrame(1,
            Lux.Raft.Transport.Security.ClusterAuthenticator.NewNonce(), "server", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        await stream.WriteAsync(writer.WrittenMemory);
        var afterChallenge = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, deadline.Token)) > 0) afterChallenge += n;
        }
        catch (IOException)
        {
        }
        Assert.Equal(0, afterChallenge);
        await Wait.Until(() => _logs.CountOf(LogEvents.HandshakeFailed) >= 1, "the client logs the failed handshake");
        Assert.Contains(_logs.Lines, l => l.Text.Contains("server could not prove the cluster secret"));
        await Wait.Until(() => clientHandler.Unreachable.Any(), "the vote is reported undelivered");
    }
}
