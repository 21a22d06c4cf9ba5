using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// One duplex byte stream between two silos, whatever carries it: a TCP socket (maybe under TLS) or an HTTP/2 request
/// whose request body flows one way and response body the other. Sessions speak frames over it and know nothing else.
/// </summary>
internal sealed class PeerLink(PipeReader input, PipeWriter output, string remote, X509Certificate? remoteCertificate, Action abort, Func<ValueTask> close,
    Func<ValueTask>? halfClose = null) : IAsyncDisposable
{
    private int _closed;

    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <summary>The remote address, for log lines.</summary>
    public string Remote { get; } = remote;

    /// <summary>The certificate the remote presented in a TLS handshake this link went through, if any.</summary>
    public X509Certificate? RemoteCertificate { get; } = remoteCertificate;

    /// <summary>Cuts the link at once (reset, no goodbye): for hostile or stuck peers.</summary>
    public void Abort()
    {
        try
        {
            abort();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends this side's direction after the last flush, so the peer reads everything and closes its side.</summary>
    public async ValueTask HalfCloseAsync()
    {
        if (halfClose is null) return;
        try
        {
            await halfClose().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Completing flushes what is buffered; a link that is already broken has nowhere to flush to.
        }
        await close().ConfigureAwait(false);
    }
}
