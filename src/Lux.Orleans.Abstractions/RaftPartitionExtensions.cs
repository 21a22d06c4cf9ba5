namespace Lux.Orleans;

/// <summary>Typed access to partitions.</summary>
public static class RaftPartitionExtensions
{
    /// <summary>The partition <paramref name="partitionId"/>.</summary>
    public static IRaftPartitionGrain GetRaftPartition(this IGrainFactory grains, string partitionId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IRaftPartitionGrain>(partitionId);
    }

    /// <summary>The partition catalog.</summary>
    public static IRaftCatalogGrain GetRaftCatalog(this IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IRaftCatalogGrain>(0);
    }

    /// <summary>Proposes <paramref name="command"/> and returns its result as <typeparamref name="TResult"/>.</summary>
    /// <exception cref="InvalidCastException">The state machine returned another type.</exception>
    public static async Task<TResult> ProposeAsync<TResult>(this IRaftPartitionGrain partition, object command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return (TResult)(await partition.ProposeAsync(command, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Reads with <paramref name="query"/> and returns the answer as <typeparamref name="TResult"/>.</summary>
    /// <exception cref="InvalidCastException">The state machine returned another type.</exception>
    public static async Task<TResult> ReadAsync<TResult>(this IRaftPartitionGrain partition, object query,
        ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return (TResult)(await partition.ReadAsync(query, consistency, cancellationToken).ConfigureAwait(false))!;
    }
}
