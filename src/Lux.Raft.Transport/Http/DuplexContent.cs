using System.Net;

namespace Lux.Raft.Transport.Http;

/// <summary>
/// A request body that stays open for the life of the connection: HttpClient hands over the request stream, and the
/// body ends only when the session completes it. Over HTTP/2 the response is read at the same time (full duplex).
/// </summary>
internal sealed class DuplexContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<Stream> RequestStream => _stream.Task;

    /// <summary>Ends the request body.</summary>
    public void Complete() => _done.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await using var registration = cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), _done).ConfigureAwait(false);
        await _done.Task.ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream.TrySetCanceled();
            _done.TrySetResult();
        }
        base.Dispose(disposing);
    }
}
