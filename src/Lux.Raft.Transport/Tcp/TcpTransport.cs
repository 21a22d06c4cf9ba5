using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Lux.Raft.Transport.Diagnostics;
using Lux.Raft.Transport.Sessions;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Transport.Tcp;

/// <summary>
/// The peer channel over TCP: one connection per ordered pair of silos (this silo's messages to a peer travel on the
/// connection this silo opened), each read and written through System.IO.Pipelines, under TLS with client certificates
/// when <see cref="PeerChannelOptions.Certificate"/> is set.
/// </summary>
public sealed class TcpTransport : PeerChannelTransport
{
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private EndPoint? _localEndPoint;

    /// <summary>Creates the transport; <see cref="PeerChannelTransport.StartAsync"/> starts listening.</summary>
    public TcpTransport(PeerChannelOptions options, IPeerDirectory directory, IRaftMessageHandler handler,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
        : base(options, directory, handler, "tcp", loggerFactory, meterFactory)
    {
    }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint => _localEndPoint;

    private protected override string SecurityDescription =>
        (Options.Certificate is null ? "plain TCP" : "mutual TLS") + (Options.ClusterSecret is null ? "" : " + cluster-secret handshake");

    private protected override ValueTask StartListeningAsync(CancellationToken cancellationToken)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(Options.ListenAddress), Options.ListenPort);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _localEndPoint = listener.LocalEndPoint;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener));
        return ValueTask.CompletedTask;
    }

    private protected override async ValueTask StopListeningAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private protected override ValueTask DisposeListenerAsync()
    {
        _listener?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!IsStopping)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(HardStopToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted; the listener itself is fine.
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var supervision = Supervise();
        try
        {
            socket.NoDelay = Options.Tcp.NoDelay;
            supervision.OnAbort = () => AbortSocket(socket);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (Options.Certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                string? refusal = null;
                try
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = Options.Certificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                            Trust!.Validate(certificate, errors, out refusal),
                    }, supervision.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
                {
                    Metrics.Refused();
                    TransportLog.Refused(Logger, remote, "TLS: " + (refusal ?? supervision.AbortReason ?? e.Message));
                    await stream.DisposeAsync().ConfigureAwait(false);
                    supervision.Dispose();
                    return;
                }
            }
            // Plain TCP reads on a thread of its own (fewer wake-ups per batch); under TLS the stream may hold decrypted
            // bytes the socket no longer shows as readable, so it is read the ordinary way.
            var input = stream is SslStream
                ? PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: Options.Tcp.ReceiveBufferSize, minimumReadSize: 4096))
                : new SocketReceivePump(socket, Options.Tcp.ReceiveBufferSize, "lux-tcp-receive " + remote);
            var link = new PeerLink(
                input,
                PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 128 * 1024)),
                remote, (stream as SslStream)?.RemoteCertificate, () => AbortSocket(socket), () => stream.DisposeAsync());
            await ServeInboundAsync(link, supervision).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            TransportLog.InboundFailed(Logger, e, remote);
            AbortSocket(socket);
            supervision.Dispose();
        }
    }

    private protected override async ValueTask<PeerLink> ConnectAsync(string peer, EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = Options.Tcp.NoDelay };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (Options.Certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                string? refusal = null;
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = peer,
                        ClientCertificates = [Options.Certificate],
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trust!.Validate(certificate, errors, out refusal),
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (AuthenticationException e) when (refusal is not null)
                {
                    throw new AuthenticationException($"peer '{peer}' presented an untrusted certificate: {refusal}", e);
                }
            }
            var owned = stream;
            return new PeerLink(
                PipeReader.Create(owned, new StreamPipeReaderOptions(bufferSize: Options.Tcp.ReceiveBufferSize, minimumReadSize: 4096)),
                PipeWriter.Create(owned, new StreamPipeWriterOptions(minimumBufferSize: 128 * 1024)),
                endPoint.ToString() ?? peer, (owned as SslStream)?.RemoteCertificate, () => AbortSocket(socket), () => owned.DisposeAsync(),
                () =>
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return ValueTask.CompletedTask;
                });
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            throw;
        }
    }

    /// <summary>Resets the connection instead of a graceful close: hostile and stuck peers get no courtesy, and no TIME_WAIT.</summary>
    private static void AbortSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }
}
