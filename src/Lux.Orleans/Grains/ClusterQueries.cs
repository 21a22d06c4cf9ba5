using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

/// <summary>Questions asked of every live silo at once (there is no central catalog to ask).</summary>
internal static class ClusterQueries
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Every answering silo's replica view of <paramref name="partitionId"/>, and whether every silo answered.</summary>
    public static async Task<(IReadOnlyList<ReplicaInfo> Replicas, bool AllAnswered)> DescribeAsync(IGrainFactory grains, IEnumerable<string> silos, string partitionId)
    {
        var queries = silos.Select(async silo =>
        {
            try
            {
                return (Info: await grains.GetGrain<IRaftNodeGrain>(silo).DescribeAsync(partitionId).WaitAsync(QueryTimeout).ConfigureAwait(false), Answered: true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return (Info: (ReplicaInfo?)null, Answered: false);
            }
        }).ToArray();
        var answers = await Task.WhenAll(queries).ConfigureAwait(false);
        return (answers.Where(a => a.Info is not null).Select(a => a.Info!).ToArray(), answers.All(a => a.Answered));
    }

    /// <summary>The partitions every answering silo hosts.</summary>
    public static async Task<IReadOnlyList<(string Silo, PartitionDescriptor Partition)>> ListAsync(IGrainFactory grains, IEnumerable<string> silos)
    {
        var queries = silos.Select(async silo =>
        {
            try
            {
                var hosted = await grains.GetGrain<IRaftNodeGrain>(silo).ListAsync().WaitAsync(QueryTimeout).ConfigureAwait(false);
                return hosted.Select(p => (silo, p)).ToArray();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return [];
            }
        }).ToArray();
        return (await Task.WhenAll(queries).ConfigureAwait(false)).SelectMany(a => a).ToArray();
    }
}
