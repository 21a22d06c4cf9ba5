using System.Collections.Concurrent;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// An <see cref="IRaftLogStoreProvider"/> that keeps every partition in a <see cref="MemoryStorage"/>: nothing survives
/// the process. For tests and simulations, and as the smallest example of a user-supplied provider.
/// </summary>
public sealed class MemoryRaftLogStoreProvider : IRaftLogStoreProvider
{
    private readonly ConcurrentDictionary<ulong, MemoryStorage> _partitions = new();

    /// <inheritdoc />
    public IReadOnlyCollection<ulong> Partitions => _partitions.Keys.ToArray();

    /// <inheritdoc />
    public ValueTask<IRaftLogStore> OpenPartitionAsync(ulong partitionId, CancellationToken cancellationToken = default) =>
        new(_partitions.GetOrAdd(partitionId, _ => new MemoryStorage()));

    /// <inheritdoc />
    public ValueTask DeletePartitionAsync(ulong partitionId, CancellationToken cancellationToken = default)
    {
        _partitions.TryRemove(partitionId, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
