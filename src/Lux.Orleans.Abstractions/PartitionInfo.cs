namespace Lux.Orleans;

/// <summary>A partition as the catalog knows it.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.PartitionInfo")]
public sealed record PartitionInfo
{
    /// <summary>The partition id.</summary>
    [Id(0)] public required string PartitionId { get; init; }

    /// <summary>The registered name of its state machine.</summary>
    [Id(1)] public required string StateMachine { get; init; }

    /// <summary>The silos hosting a replica of it (live ones that answered).</summary>
    [Id(2)] public required IReadOnlyList<string> Silos { get; init; }
}
