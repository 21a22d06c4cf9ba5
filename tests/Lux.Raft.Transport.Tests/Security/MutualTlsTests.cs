using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.Tcp;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Security;

/// <summary>Mutual TLS on TCP and HTTPS: cluster certificates get in, certificates from elsewhere do not.</summary>
public sealed class MutualTlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestLoggerFactory _logs = new(output);
    private readonly StaticPeerDirectory _directory = new();
    private readonly List<IPeerTransport> _transports = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var transport in _transports) await transport.DisposeAsync();
    }

    private async Task<PeerChannelTransport> StartAsync(string protocol, string nodeId, IRaftMessageHandler handler, TestCertificates authority, string? secret = null)
    {
        var options = new PeerChannelOptions
        {
            NodeId = nodeId, Certificate = authority.Issue(nodeId), TrustedCertificates = TestCertificates.ClusterCa.Trust, ClusterSecret = secret,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        PeerChannelTransport transport = protocol == "tcp"
            ? new TcpTransport(options, _directory, handler, _logs)
            : new HttpTransport(options, _directory, handler, _logs);
        await transport.StartAsync(CancellationToken.None);
        _directory.Set(nodeId, transport.LocalEndPoint!);
        _transports.Add(transport);
        return transport;
    }

    [Theory]
    [InlineData("tcp", null)]
    [InlineData("http", null)]
    [InlineData("tcp", "a secret on top of the certificates")]
    public async Task Peers_with_cluster_certificates_talk(string protocol, string? secret)
    {
        var bHandler = new RecordingHandler();
        var aHandler = new RecordingHandler();
        var a = await StartAsync(protocol, "a", aHandler, TestCertificates.ClusterCa, secret);
        var b = await StartAsync(protocol, "b", bHandler, TestCertificates.ClusterCa, secret);
        Assert.True(a.TrySend("b", 1, Messages.Full(MessageType.Append)));
        Assert.True(b.TrySend("a", 1, Messages.Full(MessageType.AppendResponse)));
        await Wait.Until(() => bHandler.Count == 1 && aHandler.Count == 1, "one message each way over TLS");
        Messages.AssertSame(Messages.Full(MessageType.Append), bHandler.Messages.Single().Message);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("http")]
    public async Task A_certificate_from_another_authority_is_refused(string protocol)
    {
        var bHandler = new RecordingHandler();
        var rogueHandler = new RecordingHandler();
        var b = await StartAsync(protocol, "b", bHandler, TestCertificates.ClusterCa);
        // The rogue trusts the cluster CA, so it would happily talk; b must not.
        var rogue = await StartAsync(protocol, "rogue", rogueHandler, TestCertificates.RogueCa);
        rogue.TrySend("b", 1, new Message { Type = MessageType.Vote, From = 7, To = 2, Term = 50 });
        rogue.TrySend("b", 1, Messages.Append(1));
        await Wait.Until(() => rogueHandler.PeersUnreachable.Contains("b"), "the rogue's connection fails");
        await Wait.Until(() => b.Statistics.ConnectionsRefused >= 1, "b refuses the certificate");
        Assert.Equal(0, bHandler.Count);
        Assert.Contains(_logs.Lines, l => l.EventId == LogEvents.Refused && l.Text.Contains("TLS"));
    }
}
