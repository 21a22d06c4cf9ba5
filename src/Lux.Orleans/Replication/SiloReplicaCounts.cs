namespace Lux.Orleans.Replication;

/// <summary>
/// How a silo's replicas stand, counted without touching any replica's loop (so asking does not wake quiesced
/// replicas): for operators and benchmarks that want to see idle partitions go quiet.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.SiloReplicaCounts")]
public sealed record SiloReplicaCounts
{
    /// <summary>The silo counted.</summary>
    [Id(0)] public required string Silo { get; init; }

    /// <summary>Replicas the silo hosts.</summary>
    [Id(1)] public int Replicas { get; init; }

    /// <summary>Replicas that lead their partition.</summary>
    [Id(2)] public int Leaders { get; init; }

    /// <summary>Replicas that are quiesced (not ticking, sending nothing).</summary>
    [Id(3)] public int Quiesced { get; init; }

    /// <summary>Leaders that are quiesced.</summary>
    [Id(4)] public int QuiescedLeaders { get; init; }

    /// <summary>Times a replica of this silo went quiet, since the silo started.</summary>
    [Id(5)] public long Quiescences { get; init; }

    /// <summary>Times a quiesced replica of this silo woke up, since the silo started.</summary>
    [Id(6)] public long Wakes { get; init; }
}
