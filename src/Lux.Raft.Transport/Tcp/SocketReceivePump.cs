using System.IO.Pipelines;
using System.Net.Sockets;

namespace Lux.Raft.Transport.Tcp;

/// <summary>
/// Reads an incoming plain-TCP connection on a thread of its own and runs the session's read loop on that thread.
/// <para>
/// With asynchronous receives every batch of frames costs two wake-ups: the socket engine's epoll thread is woken by
/// the data, then queues the continuation to a thread-pool worker, which must be scheduled in turn (and idle workers
/// spin looking for more). On a busy machine those hand-offs, not the bytes, dominate. Here the thread sleeps in
/// <c>poll</c> on the socket, so arriving data wakes it directly; it receives into the pipe and flushes, and because the
/// pipe resumes its reader inline, the read loop decodes the frames, runs the handler and drains the replies (see
/// <see cref="Sessions.SendBurst"/>) on this same thread before it returns here for the next receive. One connection per
/// peer silo means one such thread per peer, a small and fixed number.
/// </para>
/// <para>
/// It reads only when the reader asks (a <see cref="ReadAsync"/> that could not be answered from what is buffered), one
/// receive per request, like a stream-backed reader: bytes pile up only as far as one frame plus one receive, and a
/// reader busy elsewhere (say, flushing a handshake answer) stops the reading. Cutting the socket (disposal shuts it down)
/// or completing the reader ends the thread; it also checks both twice a second.
/// </para>
/// </summary>
internal sealed class SocketReceivePump : PipeReader
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly Socket _socket;
    private readonly Pipe _pipe;
    private readonly int _readSize;
    private readonly ManualResetEventSlim _demand = new(initialState: false, spinCount: 0);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _readerDone;

    public SocketReceivePump(Socket socket, int readSize, string threadName)
    {
        _socket = socket;
        _readSize = readSize;
        _pipe = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            // Never paused: the reader asks for every receive, so what is buffered stays bounded without back pressure.
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: readSize * 2,
            useSynchronizationContext: false));
        var thread = new Thread(Run) { IsBackground = true, Name = threadName };
        thread.UnsafeStart();
    }

    /// <summary>Completes when the receiving thread has ended.</summary>
    public Task Stopped => _stopped.Task;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = _pipe.Reader.ReadAsync(cancellationToken);
        if (!read.IsCompleted) _demand.Set();
        return read;
    }

    public override bool TryRead(out ReadResult result) => _pipe.Reader.TryRead(out result);

    public override void AdvanceTo(SequencePosition consumed) => _pipe.Reader.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _pipe.Reader.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => _pipe.Reader.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _readerDone = true;
        _pipe.Reader.Complete(exception);
        _demand.Set();
    }

    private void Run()
    {
        var writer = _pipe.Writer;
        Exception? failure = null;
        try
        {
            while (WaitForDemand() && WaitForData())
            {
                var buffer = writer.GetMemory(_readSize);
                var received = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
                if (error != SocketError.Success) throw new SocketException((int)error);
                if (received == 0) break;
                writer.Advance(received);
                // The reader resumes inside this call, on this thread, and handles what arrived before it returns.
                var flush = writer.FlushAsync();
                if (!flush.IsCompleted) throw new InvalidOperationException("the receive pipe applied back pressure, which it is configured never to do");
                if (flush.Result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            failure = new IOException($"receive failed: {e.Message}", e);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            // The event is not disposed: the reader may still set it, and without a wait handle it holds nothing to free.
            writer.Complete(failure);
            _stopped.TrySetResult();
        }
    }

    /// <returns>False once the reader is done.</returns>
    private bool WaitForDemand()
    {
        while (!_demand.Wait(PollInterval))
        {
            if (_readerDone) return false;
        }
        _demand.Reset();
        return !_readerDone;
    }

    /// <returns>True when the socket is readable (data, end of stream or an error to report); false once the reader is done.</returns>
    private bool WaitForData()
    {
        while (!_socket.Poll(PollInterval, SelectMode.SelectRead))
        {
            if (_readerDone) return false;
        }
        return true;
    }
}
