using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Lux.Raft.Transport.Diagnostics;
using Lux.Raft.Transport.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Transport.Http;

/// <summary>
/// The peer channel over HTTP/2: a Kestrel endpoint (cleartext HTTP/2 by default, HTTPS with required client
/// certificates when <see cref="PeerChannelOptions.Certificate"/> is set) and an <see cref="HttpClient"/>. Each ordered pair
/// of silos holds one long-lived POST whose request body carries frames to the peer and whose response body carries its
/// replies: the same codec, handshake and sessions as TCP, so the same behaviour. All of a silo's streams to one peer
/// share one HTTP/2 connection.
/// </summary>
public sealed class HttpTransport : PeerChannelTransport
{
    /// <summary>Media type of the frame stream in both directions.</summary>
    public const string ContentType = "application/x-lux-raft-frames";

    private readonly HttpClient _client;
    private WebApplication? _app;
    private EndPoint? _localEndPoint;

    /// <summary>Creates the transport; <see cref="PeerChannelTransport.StartAsync"/> starts the listener.</summary>
    public HttpTransport(PeerChannelOptions options, IPeerDirectory directory, IRaftMessageHandler handler,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
        : base(options, directory, handler, "http", loggerFactory, meterFactory)
    {
        var handlerOptions = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            KeepAlivePingDelay = options.Http.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.Http.KeepAlivePingDelay,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,
            InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
        };
        if (options.Certificate is not null)
        {
            handlerOptions.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [options.Certificate],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trust!.Validate(certificate, errors, out _),
            };
        }
        _client = new HttpClient(handlerOptions) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint => _localEndPoint;

    private string Scheme => Options.Certificate is null ? "http" : "https";

    private protected override string SecurityDescription =>
        (Options.Certificate is null ? "h2c" : "HTTPS with client certificates") + (Options.ClusterSecret is null ? "" : " + cluster-secret handshake");

    private protected override async ValueTask StartListeningAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(LoggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.Limits.Http2.KeepAlivePingDelay = Options.Http.KeepAlivePingDelay;
            kestrel.Limits.Http2.KeepAlivePingTimeout = Options.Http.KeepAlivePingDelay;
            kestrel.Listen(IPAddress.Parse(Options.ListenAddress), Options.ListenPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (Options.Certificate is { } certificate)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        HandshakeTimeout = Options.HandshakeTimeout,
                        ClientCertificateValidation = (presented, _, errors) =>
                        {
                            if (Trust!.Validate(presented, errors, out var reason)) return true;
                            Metrics.Refused();
                            TransportLog.Refused(Logger, "https client", "TLS: " + reason);
                            return false;
                        },
                    });
                }
            });
        });
        var app = builder.Build();
        app.Run(ServeAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        _localEndPoint = new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    private protected override async ValueTask StopListeningAsync(CancellationToken cancellationToken)
    {
        // Kestrel waits for open requests, and each peer stream is one: say goodbye on them first, then stop the server.
        await Task.WhenAll(Sessions.Select(s => s.StopAsync(cancellationToken))).ConfigureAwait(false);
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private protected override async ValueTask DisposeListenerAsync()
    {
        _client.Dispose();
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ServeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != Options.Http.Path)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentType;
        // Send the headers now: the client waits for them before it reads replies, and the handshake needs replies.
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        var link = new PeerLink(context.Request.BodyReader, context.Response.BodyWriter, remote, context.Connection.ClientCertificate,
            context.Abort, () => ValueTask.CompletedTask);
        await ServeInboundAsync(link).ConfigureAwait(false);
    }

    private static async Task<Stream> ResponseStreamAsync(Task<HttpResponseMessage> sending, string peer, CancellationToken ct)
    {
        var response = await sending.WaitAsync(ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw new PeerChannelException($"peer '{peer}' answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
    }

    private protected override async ValueTask<PeerLink> ConnectAsync(string peer, EndPoint endPoint, CancellationToken cancellationToken)
    {
        var (host, port) = endPoint switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => throw new PeerChannelException($"cannot make an HTTP address from {endPoint}"),
        };
        var uri = new UriBuilder(Scheme, host, port, Options.Http.Path).Uri;
        var content = new DuplexContent();
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContentType);
        var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var abort = CancellationTokenSource.CreateLinkedTokenSource(HardStopToken);
        Task<HttpResponseMessage>? sending = null;
        try
        {
            sending = _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort.Token);
            // The request stream is handed over once the headers are queued; they leave with the first flush of the body,
            // which is the handshake's Hello. Only then can the response come.
            var first = await Task.WhenAny(content.RequestStream, sending).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (first == sending) await ResponseStreamAsync(sending, peer, CancellationToken.None).ConfigureAwait(false);
            var requestStream = await content.RequestStream.ConfigureAwait(false);
            var responseStream = new DeferredReadStream(ct => ResponseStreamAsync(sending, peer, ct));
            return new PeerLink(
                PipeReader.Create(responseStream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096)),
                PipeWriter.Create(requestStream, new StreamPipeWriterOptions(minimumBufferSize: 128 * 1024, leaveOpen: true)),
                uri.ToString(), null,
                () => abort.Cancel(),
                async () =>
                {
                    content.Complete();
                    await responseStream.DisposeAsync().ConfigureAwait(false);
                    if (sending.IsCompletedSuccessfully) sending.Result.Dispose();
                    request.Dispose();
                    abort.Dispose();
                },
                () =>
                {
                    content.Complete();
                    return ValueTask.CompletedTask;
                });
        }
        catch
        {
            await abort.CancelAsync().ConfigureAwait(false);
            content.Complete();
            if (sending is { IsCompletedSuccessfully: true }) sending.Result.Dispose();
            request.Dispose();
            abort.Dispose();
            throw;
        }
    }
}
