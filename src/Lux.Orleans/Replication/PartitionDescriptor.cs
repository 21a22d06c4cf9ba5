namespace Lux.Orleans.Replication;

/// <summary>
/// What every replica of a partition agrees on from the start: its id, its state machine and its bootstrap voters (the
/// silos it was created on). Later membership lives in the Raft log; a replica added later starts from the same
/// bootstrap configuration and learns the rest from the log or a snapshot.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.PartitionDescriptor")]
public sealed record PartitionDescriptor
{
    /// <summary>The partition id.</summary>
    [Id(0)] public required string PartitionId { get; init; }

    /// <summary>The registered name of the state machine.</summary>
    [Id(1)] public required string StateMachine { get; init; }

    /// <summary>The silos of the bootstrap configuration, preferred leader first.</summary>
    [Id(2)] public required IReadOnlyList<string> InitialVoters { get; init; }

    /// <summary>The partition's key in the WAL and on the peer channel.</summary>
    public ulong PartitionKey => RaftIdentity.PartitionKeyOf(PartitionId);
}
