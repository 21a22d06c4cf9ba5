using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.Tcp;
using Lux.Raft.Transport.Tests.Support;
using Microsoft.Extensions.Options;

namespace Lux.Raft.Transport.Tests;

public sealed class OptionsTests
{
    private static PeerChannelOptions Valid() => new() { NodeId = "silo-1", ClusterSecret = "sixteen chars at least" };

    [Fact]
    public void Valid_options_pass()
    {
        Valid().Validate();
        Assert.True(new PeerChannelOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var options = new PeerChannelOptions
        {
            NodeId = "", ListenAddress = "not an address", ListenPort = 70000, MaxFrameSize = 10, SendQueueCapacity = 0,
            ReconnectMinDelay = TimeSpan.FromSeconds(10), ReconnectMaxDelay = TimeSpan.FromSeconds(1), SnapshotWindowBytes = 10,
        };
        var error = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.Contains(error.Failures, f => f.Contains("NodeId"));
        Assert.Contains(error.Failures, f => f.Contains("ListenAddress"));
        Assert.Contains(error.Failures, f => f.Contains("ListenPort"));
        Assert.Contains(error.Failures, f => f.Contains("ClusterSecret or Certificate"));
        Assert.Contains(error.Failures, f => f.Contains("MaxFrameSize"));
        Assert.Contains(error.Failures, f => f.Contains("SendQueueCapacity"));
        Assert.Contains(error.Failures, f => f.Contains("ReconnectMinDelay"));
        Assert.Contains(error.Failures, f => f.Contains("SnapshotWindowBytes"));
    }

    [Fact]
    public void A_short_secret_is_refused()
    {
        var options = Valid();
        options.ClusterSecret = "short";
        Assert.Contains(Assert.Throws<OptionsValidationException>(options.Validate).Failures, f => f.Contains("at least 16"));
    }

    [Fact]
    public void A_certificate_needs_a_trust_list()
    {
        var options = Valid();
        options.Certificate = TestCertificates.ClusterCa.Issue("silo-1");
        Assert.Contains(Assert.Throws<OptionsValidationException>(options.Validate).Failures, f => f.Contains("TrustedCertificates"));
        options.TrustedCertificates = TestCertificates.ClusterCa.Trust;
        options.Validate();
    }

    [Fact]
    public void A_transport_refuses_invalid_options_when_built()
    {
        Assert.Throws<OptionsValidationException>(() => new TcpTransport(new PeerChannelOptions(), new StaticPeerDirectory(), new RecordingHandler()));
    }

    [Theory]
    [InlineData(TransportProtocol.Tcp, typeof(TcpTransport))]
    [InlineData(TransportProtocol.Http, typeof(HttpTransport))]
    public async Task The_configured_protocol_picks_the_transport(TransportProtocol protocol, Type expected)
    {
        var options = Valid();
        options.Protocol = protocol;
        await using var transport = PeerTransport.Create(options, new StaticPeerDirectory(), new RecordingHandler());
        Assert.IsType(expected, transport);
        Assert.Equal("silo-1", transport.NodeId);
    }
}
