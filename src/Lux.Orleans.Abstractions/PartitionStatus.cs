namespace Lux.Orleans;

/// <summary>A partition's state as its leader (or, without a leader, the most advanced replica reached) sees it.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.PartitionStatus")]
public sealed record PartitionStatus
{
    /// <summary>The partition id.</summary>
    [Id(0)] public required string PartitionId { get; init; }

    /// <summary>The registered name of its state machine.</summary>
    [Id(1)] public required string StateMachine { get; init; }

    /// <summary>The silo whose replica leads, or null when no leader is known.</summary>
    [Id(2)] public string? Leader { get; init; }

    /// <summary>The current Raft term.</summary>
    [Id(3)] public ulong Term { get; init; }

    /// <summary>The highest log index known to be committed.</summary>
    [Id(4)] public ulong CommitIndex { get; init; }

    /// <summary>The highest log index applied to the answering replica's state machine.</summary>
    [Id(5)] public ulong AppliedIndex { get; init; }

    /// <summary>The members: voters, learners, and during a joint change the outgoing voters.</summary>
    [Id(6)] public required IReadOnlyList<ReplicaStatus> Members { get; init; }

    /// <summary>The silo whose replica answered.</summary>
    [Id(7)] public required string ReportedBy { get; init; }
}

/// <summary>One member of a partition.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.ReplicaStatus")]
public sealed record ReplicaStatus
{
    /// <summary>The silo hosting the replica.</summary>
    [Id(0)] public required string Silo { get; init; }

    /// <summary>The replica's Raft id (derived from the silo name).</summary>
    [Id(1)] public ulong ReplicaId { get; init; }

    /// <summary>Its role in the configuration.</summary>
    [Id(2)] public ReplicaRole Role { get; init; }

    /// <summary>The highest index the leader knows it holds (0 when the answering replica is not the leader).</summary>
    [Id(3)] public ulong MatchIndex { get; init; }

    /// <summary>Whether the leader heard from it within the last election timeout (false when unknown).</summary>
    [Id(4)] public bool RecentActive { get; init; }
}

/// <summary>A member's role in a partition's configuration.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.ReplicaRole")]
public enum ReplicaRole : byte
{
    /// <summary>Votes and counts toward the quorum.</summary>
    Voter = 0,

    /// <summary>Receives the log, never votes.</summary>
    Learner = 1,

    /// <summary>A voter of the outgoing configuration during a joint-consensus change.</summary>
    OutgoingVoter = 2,
}
