using System.Security.Cryptography.X509Certificates;
using System.Text;
using Lux.Raft.Transport.Codec;
using Microsoft.Extensions.Options;

namespace Lux.Raft.Transport;

/// <summary>Which protocol carries the peer channel.</summary>
public enum TransportProtocol
{
    /// <summary>Raw TCP (optionally TLS), one connection per ordered pair of silos.</summary>
    Tcp,
    /// <summary>HTTP/2 (cleartext on loopback, HTTPS when a certificate is configured): one long-lived request stream per ordered pair.</summary>
    Http,
}

/// <summary>
/// Configuration of the peer channel, shared by every protocol; <see cref="Tcp"/> and <see cref="Http"/> hold what only one
/// of them uses. Binds from configuration except the certificates, which are set in code.
/// </summary>
public sealed class PeerChannelOptions
{
    /// <summary>Default of <see cref="MaxFrameSize"/>: 64 MiB.</summary>
    public const int DefaultMaxFrameSize = 64 * 1024 * 1024;

    /// <summary>The protocol a host builds with <see cref="PeerTransport.Create"/>.</summary>
    public TransportProtocol Protocol { get; set; } = TransportProtocol.Tcp;

    /// <summary>This silo's stable node id (its name); peers address it by this.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>Address to listen on; loopback by default.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 picks a free one (see the transport's <c>LocalEndPoint</c>).</summary>
    public int ListenPort { get; set; }

    /// <summary>
    /// Shared secret of the cluster (at least 16 characters). Peers prove they know it with an HMAC-SHA256
    /// challenge-response in both directions; the secret itself never crosses the wire.
    /// </summary>
    public string? ClusterSecret { get; set; }

    /// <summary>This silo's certificate, with its private key: turns on TLS (TCP) or HTTPS (HTTP), and is the client certificate it presents.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Certificates a peer's certificate must match (pinned) or chain to (cluster CA). Required with <see cref="Certificate"/>.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; set; }

    /// <summary>Largest frame payload accepted or sent, in bytes; 64 MiB by default.</summary>
    public int MaxFrameSize { get; set; } = DefaultMaxFrameSize;

    /// <summary>Messages queued per peer before new ones are dropped and reported unreachable.</summary>
    public int SendQueueCapacity { get; set; } = 8192;

    /// <summary>Payload bytes (entry data and context) queued per peer before new messages are dropped.</summary>
    public long SendQueueMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A flush happens at least every this many bytes while a queue is drained.</summary>
    public int MaxBatchBytes { get; set; } = 256 * 1024;

    /// <summary>First delay before reconnecting after a failed attempt; doubles each time, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed to open a connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for the handshake; a peer that is slower is cut off (slow-loris guard).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for a frame, once started, to arrive whole; an idle connection may stay idle.</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Size of the pieces a snapshot is sent in.</summary>
    public int SnapshotChunkSize { get; set; } = 64 * 1024;

    /// <summary>Snapshot bytes a receiver lets a sender have in flight per stream (flow-control window).</summary>
    public int SnapshotWindowBytes { get; set; } = 1024 * 1024;

    /// <summary>Snapshot streams at once per peer, both ways.</summary>
    public int MaxConcurrentSnapshots { get; set; } = 4;

    /// <summary>Incoming connections allowed to be in their handshake at once; more are closed at once.</summary>
    public int MaxPendingHandshakes { get; set; } = 128;

    /// <summary>TCP-only settings.</summary>
    public TcpTransportOptions Tcp { get; set; } = new();

    /// <summary>HTTP-only settings.</summary>
    public HttpTransportOptions Http { get; set; } = new();

    internal byte[]? SecretBytes => ClusterSecret is null ? null : Encoding.UTF8.GetBytes(ClusterSecret);

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem, if there is any.</summary>
    public void Validate()
    {
        var result = new PeerChannelOptionsValidator().Validate(null, this);
        if (result.Failed) throw new OptionsValidationException(nameof(PeerChannelOptions), typeof(PeerChannelOptions), result.Failures);
    }
}

/// <summary>Settings of the TCP transport.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>Disables Nagle's algorithm; frames are already batched per flush.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Size of the buffers each connection reads the socket with.</summary>
    public int ReceiveBufferSize { get; set; } = 64 * 1024;
}

/// <summary>Settings of the HTTP transport.</summary>
public sealed class HttpTransportOptions
{
    /// <summary>Path of the channel endpoint on the listener.</summary>
    public string Path { get; set; } = "/lux/raft/v1/channel";

    /// <summary>Interval of HTTP/2 pings that detect a dead peer on an idle connection.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="PeerChannelOptions"/>; usable with <c>services.AddSingleton&lt;IValidateOptions&lt;PeerChannelOptions&gt;&gt;</c>.</summary>
public sealed class PeerChannelOptionsValidator : IValidateOptions<PeerChannelOptions>
{
    /// <summary>Shortest accepted cluster secret, in characters.</summary>
    public const int MinSecretLength = 16;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PeerChannelOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.NodeId)) errors.Add("NodeId is required.");
        else if (Encoding.UTF8.GetByteCount(options.NodeId) > FrameCodec.MaxNodeIdBytes) errors.Add($"NodeId takes at most {FrameCodec.MaxNodeIdBytes} UTF-8 bytes.");
        if (!System.Net.IPAddress.TryParse(options.ListenAddress, out _)) errors.Add($"ListenAddress '{options.ListenAddress}' is not an IP address.");
        if (options.ListenPort is < 0 or > 65535) errors.Add("ListenPort must be 0..65535.");
        if (options.ClusterSecret is null && options.Certificate is null)
            errors.Add("Set ClusterSecret or Certificate (with TrustedCertificates): peers must authenticate.");
        if (options.ClusterSecret is { } secret && secret.Length < MinSecretLength) errors.Add($"ClusterSecret must have at least {MinSecretLength} characters.");
        if (options.Certificate is { } certificate)
        {
            if (!certificate.HasPrivateKey) errors.Add("Certificate must carry its private key.");
            if (options.TrustedCertificates is not { Count: > 0 }) errors.Add("TrustedCertificates must name the peers' certificates or their CA when Certificate is set.");
        }
        if (options.MaxFrameSize is < 64 * 1024 or > 1024 * 1024 * 1024) errors.Add("MaxFrameSize must be 64 KiB..1 GiB.");
        if (options.SendQueueCapacity < 1) errors.Add("SendQueueCapacity must be at least 1.");
        if (options.SendQueueMaxBytes < 1) errors.Add("SendQueueMaxBytes must be at least 1.");
        if (options.MaxBatchBytes < 4096) errors.Add("MaxBatchBytes must be at least 4096.");
        if (options.ReconnectMinDelay <= TimeSpan.Zero || options.ReconnectMaxDelay < options.ReconnectMinDelay)
            errors.Add("ReconnectMinDelay must be positive and not above ReconnectMaxDelay.");
        if (options.ConnectTimeout <= TimeSpan.Zero) errors.Add("ConnectTimeout must be positive.");
        if (options.HandshakeTimeout <= TimeSpan.Zero) errors.Add("HandshakeTimeout must be positive.");
        if (options.FrameTimeout <= TimeSpan.Zero) errors.Add("FrameTimeout must be positive.");
        if (options.SnapshotChunkSize < 1024 || options.SnapshotChunkSize > options.MaxFrameSize - 16)
            errors.Add("SnapshotChunkSize must be at least 1 KiB and fit in a frame.");
        if (options.SnapshotWindowBytes < options.SnapshotChunkSize) errors.Add("SnapshotWindowBytes must hold at least one chunk.");
        if (options.MaxConcurrentSnapshots < 1) errors.Add("MaxConcurrentSnapshots must be at least 1.");
        if (options.MaxPendingHandshakes < 1) errors.Add("MaxPendingHandshakes must be at least 1.");
        if (options.Tcp is null) errors.Add("Tcp must not be null.");
        else if (options.Tcp.ReceiveBufferSize < 4096) errors.Add("Tcp.ReceiveBufferSize must be at least 4096.");
        if (options.Http is null) errors.Add("Http must not be null.");
        else
        {
            if (string.IsNullOrEmpty(options.Http.Path) || options.Http.Path[0] != '/') errors.Add("Http.Path must start with '/'.");
            if (options.Http.KeepAlivePingDelay <= TimeSpan.Zero) errors.Add("Http.KeepAlivePingDelay must be positive.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
