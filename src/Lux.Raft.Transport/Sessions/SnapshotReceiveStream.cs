using System.Buffers;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// The receiving half of a snapshot stream, as the <see cref="Stream"/> a handler reads. Chunks are kept only between
/// arrival and reading; the sender may have at most one window of unread bytes in flight, and the window is reopened
/// (credit granted) as the handler reads, so a slow handler slows the sender instead of filling memory.
/// </summary>
internal sealed class SnapshotReceiveStream : Stream
{
    private readonly object _gate = new();
    private readonly Queue<(byte[] Buffer, int Length)> _chunks = new();
    private readonly int _window;
    private readonly Action<ulong> _grant;
    private readonly ChunkPool _buffers;
    private int _headOffset;
    private long _received;
    private long _granted;
    private long _consumed;
    private long _consumedAtLastGrant;
    private bool _completed;
    private bool _closed;
    private Exception? _fault;
    private TaskCompletionSource? _waiter;

    public SnapshotReceiveStream(int window, int chunkSize, Action<ulong> grant)
    {
        _buffers = new ChunkPool(chunkSize);
        _window = window;
        _grant = grant;
        _granted = window;
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Adds a chunk that arrived. Refuses data beyond the credit granted: the sender broke flow control.</summary>
    /// <exception cref="ProtocolViolationException">More bytes than granted.</exception>
    public void Append(in ReadOnlySequence<byte> data)
    {
        var length = (int)data.Length;
        lock (_gate)
        {
            if (_completed) throw new ProtocolViolationException("snapshot data after its end");
            if (_received + length > _granted) throw new ProtocolViolationException($"snapshot chunk beyond the granted window ({_received + length} > {_granted})");
            _received += length;
            if (_closed || length == 0) return;
            var buffer = length <= _buffers.ChunkSize ? _buffers.Rent() : ArrayPool<byte>.Shared.Rent(length);
            data.CopyTo(buffer);
            _chunks.Enqueue((buffer, length));
            WakeLocked();
        }
    }

    /// <summary>The sender says all data was sent; <paramref name="totalBytes"/> must match what arrived.</summary>
    public void Complete(ulong totalBytes)
    {
        lock (_gate)
        {
            if ((ulong)_received != totalBytes) _fault ??= new IOException($"snapshot ended after {_received} bytes, sender counted {totalBytes}");
            _completed = true;
            WakeLocked();
        }
    }

    public void Fault(Exception error)
    {
        lock (_gate)
        {
            _fault ??= error;
            WakeLocked();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (TryReadLocked(buffer.Span, out var n)) return Granted(n);
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        lock (_gate)
        {
            while (true)
            {
                if (TryReadLocked(buffer, out var n)) return Granted(n);
                Monitor.Wait(_gate);
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Copies what is there; true when the read is answered (data, end, or fault).</summary>
    private bool TryReadLocked(Span<byte> destination, out int read)
    {
        read = 0;
        if (_closed) throw new ObjectDisposedException(nameof(SnapshotReceiveStream));
        while (read < destination.Length && _chunks.TryPeek(out var head))
        {
            var n = Math.Min(head.Length - _headOffset, destination.Length - read);
            head.Buffer.AsSpan(_headOffset, n).CopyTo(destination[read..]);
            read += n;
            _headOffset += n;
            if (_headOffset == head.Length)
            {
                _chunks.Dequeue();
                _buffers.Return(head.Buffer);
                _headOffset = 0;
            }
        }
        if (read > 0) return true;
        if (_fault is not null) throw new IOException("snapshot stream failed: " + _fault.Message, _fault);
        return _completed;
    }

    /// <summary>Reopens the window once half of it was read, so credit frames stay few.</summary>
    private int Granted(int read)
    {
        ulong grant = 0;
        lock (_gate)
        {
            _consumed += read;
            if (!_completed && _consumed - _consumedAtLastGrant >= _window / 2)
            {
                grant = (ulong)(_consumed - _consumedAtLastGrant);
                _consumedAtLastGrant = _consumed;
                _granted += (long)grant;
            }
        }
        if (grant > 0) _grant(grant);
        return read;
    }

    private void WakeLocked()
    {
        Monitor.PulseAll(_gate);
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _closed = true;
                while (_chunks.TryDequeue(out var chunk)) ArrayPool<byte>.Shared.Return(chunk.Buffer);
                _buffers.Dispose();
                WakeLocked();
            }
        }
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
