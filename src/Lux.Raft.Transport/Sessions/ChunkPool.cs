using System.Buffers;
using System.Collections.Concurrent;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// Buffers for the chunks of one snapshot stream, reused for its whole life. A window's worth of chunks is in flight at
/// once, more than the shared array pool keeps per size, so renting each chunk from it would turn into an allocation per
/// chunk; recycling within the stream keeps a transfer of any size down to one window of buffers.
/// </summary>
internal sealed class ChunkPool(int chunkSize) : IDisposable
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private bool _disposed;

    public int ChunkSize { get; } = chunkSize;

    public byte[] Rent() => _free.TryDequeue(out var buffer) ? buffer : ArrayPool<byte>.Shared.Rent(ChunkSize);

    public void Return(byte[] buffer)
    {
        if (Volatile.Read(ref _disposed) || buffer.Length < ChunkSize) ArrayPool<byte>.Shared.Return(buffer);
        else _free.Enqueue(buffer);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_free.TryDequeue(out var buffer)) ArrayPool<byte>.Shared.Return(buffer);
    }
}
