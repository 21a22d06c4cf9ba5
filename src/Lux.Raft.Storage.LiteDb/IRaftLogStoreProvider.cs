namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// A silo's Raft log storage: hands out one <see cref="IRaftLogStore"/> per partition replica hosted on the silo.
/// <see cref="LiteDbWriteAheadLog"/> is the default; a user may bring their own (any store honouring the
/// <see cref="IRaftLogStore"/> contract, where a completed write is a durable write).
/// </summary>
public interface IRaftLogStoreProvider : IAsyncDisposable
{
    /// <summary>Partitions that have anything stored.</summary>
    IReadOnlyCollection<ulong> Partitions { get; }

    /// <summary>Opens (creating if needed) the log of one partition; the same instance is returned for the same id.</summary>
    ValueTask<IRaftLogStore> OpenPartitionAsync(ulong partitionId, CancellationToken cancellationToken = default);

    /// <summary>Durably removes everything stored for a partition (its replica left this silo).</summary>
    ValueTask DeletePartitionAsync(ulong partitionId, CancellationToken cancellationToken = default);
}
