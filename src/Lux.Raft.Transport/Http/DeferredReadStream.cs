namespace Lux.Raft.Transport.Http;

/// <summary>
/// A read-only stream over a response that has not arrived yet. HttpClient may hold an HTTP/2 request's headers back
/// until the body is written, so the client must write its handshake before it can wait for the response: reads wait
/// for the response here instead.
/// </summary>
internal sealed class DeferredReadStream(Func<CancellationToken, Task<Stream>> open) : Stream
{
    private Task<Stream>? _inner;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var inner = await (_inner ??= open(cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the peer channel reads responses asynchronously");

    protected override void Dispose(bool disposing)
    {
        if (disposing && _inner is { IsCompletedSuccessfully: true } opened) opened.Result.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
