using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Lux.Benchmarks.DotNext;

/// <summary>
/// One TCP connection speaking <see cref="ClientProtocol"/>: a read loop hands every whole frame to a handler, and a
/// write loop sends queued frames, flushing once per batch so that many frames in flight share a send.
/// </summary>
public sealed class FrameConnection : IAsyncDisposable
{
    /// <summary>Called for every frame read; <paramref name="body"/> is valid only during the call.</summary>
    public delegate void FrameHandler(FrameConnection connection, byte code, long id, ReadOnlySequence<byte> body);

    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly Channel<byte[]> outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;
    private readonly Task writing;
    private int disposed;

    public FrameConnection(Socket socket, FrameHandler onFrame, Action<string> onError)
    {
        this.socket = socket;
        socket.NoDelay = true;
        stream = new NetworkStream(socket, ownsSocket: true);
        reading = Task.Run(() => ReadLoopAsync(onFrame, onError));
        writing = Task.Run(WriteLoopAsync);
    }

    /// <summary>Completes when the connection is closed, by either side or by bad input.</summary>
    public Task Completion => reading;

    /// <summary>Queues a frame; false once the connection is closing.</summary>
    public bool TrySend(byte[] frame) => outgoing.Writer.TryWrite(frame);

    private async Task ReadLoopAsync(FrameHandler onFrame, Action<string> onError)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (ClientProtocol.TryReadFrame(ref buffer, out var code, out var id, out var body))
                    onFrame(this, code, id, body);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) return;
            }
        }
        catch (InvalidDataException e)
        {
            onError($"closing connection from {socket.RemoteEndPoint}: {e.Message}");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            outgoing.Writer.TryComplete();
        }
    }

    private async Task WriteLoopAsync()
    {
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            while (await outgoing.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (outgoing.Reader.TryRead(out var frame)) writer.Write(frame);
                var flushed = await writer.FlushAsync(stop.Token).ConfigureAwait(false);
                if (flushed.IsCompleted) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        outgoing.Writer.TryComplete();
        await stop.CancelAsync().ConfigureAwait(false);
        socket.Dispose();
        await Task.WhenAll(reading, writing).ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        stop.Dispose();
    }
}
