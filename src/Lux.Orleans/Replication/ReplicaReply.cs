namespace Lux.Orleans.Replication;

/// <summary>How one replica handled one request.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.ReplicaReplyStatus")]
public enum ReplicaReplyStatus : byte
{
    /// <summary>Done; <see cref="ReplicaReply.Payload"/> holds the result.</summary>
    Ok = 0,

    /// <summary>This replica does not lead; <see cref="ReplicaReply.LeaderHint"/> names the leader's silo if known.</summary>
    NotLeader = 1,

    /// <summary>This silo hosts no replica of the partition.</summary>
    NotFound = 2,

    /// <summary>The leader is busy (back-pressure, leadership transfer, a membership change pending): retry shortly.</summary>
    Busy = 3,

    /// <summary>The proposal was accepted but replaced by another leader's entry, or leadership was lost: retry (same sequence number).</summary>
    Dropped = 4,

    /// <summary>No outcome within the attempt's time limit; the proposal may still commit.</summary>
    Timeout = 5,

    /// <summary>Refused for good; <see cref="ReplicaReply.Message"/> says why.</summary>
    Failed = 6,
}

/// <summary>A replica's answer to the router.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.ReplicaReply")]
public sealed record ReplicaReply
{
    /// <summary>How the request was handled.</summary>
    [Id(0)] public ReplicaReplyStatus Status { get; init; }

    /// <summary>The result bytes when <see cref="Status"/> is <see cref="ReplicaReplyStatus.Ok"/>.</summary>
    [Id(1)] public byte[]? Payload { get; init; }

    /// <summary>The leader's silo, when known and the request went to another replica.</summary>
    [Id(2)] public string? LeaderHint { get; init; }

    /// <summary>Why it failed.</summary>
    [Id(3)] public string? Message { get; init; }

    internal static ReplicaReply Ok(byte[]? payload) => new() { Status = ReplicaReplyStatus.Ok, Payload = payload };
    internal static ReplicaReply NotLeader(string? hint) => new() { Status = ReplicaReplyStatus.NotLeader, LeaderHint = hint };
    internal static ReplicaReply Of(ReplicaReplyStatus status, string? message = null) => new() { Status = status, Message = message };
    internal static readonly ReplicaReply NotFound = new() { Status = ReplicaReplyStatus.NotFound };
    internal static readonly ReplicaReply Dropped = new() { Status = ReplicaReplyStatus.Dropped };
    internal static readonly ReplicaReply TimedOut = new() { Status = ReplicaReplyStatus.Timeout };
}

/// <summary>One replica's view of its partition.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Orleans.ReplicaInfo")]
public sealed record ReplicaInfo
{
    /// <summary>The partition's descriptor.</summary>
    [Id(0)] public required PartitionDescriptor Descriptor { get; init; }

    /// <summary>The silo hosting this replica.</summary>
    [Id(1)] public required string Silo { get; init; }

    /// <summary>The leader's silo, or null.</summary>
    [Id(2)] public string? Leader { get; init; }

    /// <summary>The replica's term.</summary>
    [Id(3)] public ulong Term { get; init; }

    /// <summary>The replica's commit index.</summary>
    [Id(4)] public ulong CommitIndex { get; init; }

    /// <summary>The replica's applied index.</summary>
    [Id(5)] public ulong AppliedIndex { get; init; }

    /// <summary>The configuration as this replica last applied it (with progress when it leads).</summary>
    [Id(6)] public required IReadOnlyList<ReplicaStatus> Members { get; init; }

    /// <summary>The first entry still in this replica's log; those before it are covered by its snapshot.</summary>
    [Id(7)] public ulong FirstLogIndex { get; init; }

    /// <summary>The index of this replica's latest snapshot (0 if none).</summary>
    [Id(8)] public ulong SnapshotIndex { get; init; }

    /// <summary>Whether this replica leads.</summary>
    public bool IsLeader => Leader == Silo;
}
