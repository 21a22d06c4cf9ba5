using System.Threading.Channels;
using Lux.Raft;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// The sending half of one snapshot stream. It reads the data only as far as the receiver's credit allows, a chunk at a
/// time into a pooled buffer that the writer returns once the chunk is in the connection's buffer: the sender never holds
/// more than one window of the snapshot, however large it is.
/// </summary>
internal sealed class SnapshotSender(ulong streamId, ulong partitionId, Message message, Stream data, int chunkSize)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource<SnapshotStatus> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ChunkPool _buffers = new(chunkSize);
    private long _granted;
    private long _sent;

    public ulong StreamId { get; } = streamId;

    public ulong PartitionId { get; } = partitionId;

    public Message Message { get; } = message;

    /// <summary>The session that carries this stream, set when the opening frame is written.</summary>
    public long Epoch { get; set; } = -1;

    public bool IsFinished => _result.Task.IsCompleted;

    public long BytesSent => _sent;

    /// <summary>Gives back a chunk buffer once its frame is written or dropped.</summary>
    public void ReturnBuffer(byte[] buffer) => _buffers.Return(buffer);

    public void AddCredit(ulong bytes)
    {
        Interlocked.Add(ref _granted, (long)Math.Min(bytes, int.MaxValue));
        _wake.Writer.TryWrite(true);
    }

    public void SetResult(SnapshotStatus status)
    {
        _result.TrySetResult(status);
        _wake.Writer.TryWrite(true);
    }

    public void Fail(Exception error)
    {
        _result.TrySetException(error);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Streams the data through <paramref name="queue"/> and waits for the receiver's verdict.</summary>
    public async ValueTask<SnapshotStatus> RunAsync(SendQueue queue, CancellationToken ct)
    {
        queue.EnqueueSnapshotFrame(OutboundItem.ForSnapshot(this, FrameType.SnapshotBegin));
        try
        {
            while (!IsFinished)
            {
                var available = Volatile.Read(ref _granted) - _sent;
                if (available <= 0)
                {
                    await _wake.Reader.WaitToReadAsync(ct).ConfigureAwait(false);
                    _wake.Reader.TryRead(out _);
                    continue;
                }
                var size = (int)Math.Min(chunkSize, available);
                var buffer = _buffers.Rent();
                int read;
                try
                {
                    read = await ReadUpToAsync(buffer, size, ct).ConfigureAwait(false);
                }
                catch
                {
                    _buffers.Return(buffer);
                    throw;
                }
                if (read == 0)
                {
                    _buffers.Return(buffer);
                    queue.EnqueueSnapshotFrame(OutboundItem.ForSnapshot(this, FrameType.SnapshotEnd, null, 0));
                    break;
                }
                _sent += read;
                queue.EnqueueSnapshotFrame(OutboundItem.ForSnapshot(this, FrameType.SnapshotChunk, buffer, read));
            }
        }
        catch (Exception) when (!IsFinished)
        {
            queue.EnqueueSnapshotFrame(OutboundItem.ForSnapshot(this, FrameType.SnapshotAbort));
            throw;
        }
        try
        {
            return await _result.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _buffers.Dispose();
        }
    }

    private async ValueTask<int> ReadUpToAsync(byte[] buffer, int size, CancellationToken ct)
    {
        var total = 0;
        while (total < size)
        {
            var n = await data.ReadAsync(buffer.AsMemory(total, size - total), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
