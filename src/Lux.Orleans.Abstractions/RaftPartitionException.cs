namespace Lux.Orleans;

/// <summary>The base of every failure a Lux partition reports to its caller.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftPartitionException")]
public class RaftPartitionException : Exception
{
    /// <summary>Creates the exception for <paramref name="partitionId"/>.</summary>
    public RaftPartitionException(string partitionId, string message, Exception? innerException = null)
        : base(message, innerException) => PartitionId = partitionId;

    /// <summary>The partition concerned.</summary>
    [Id(0)]
    public string PartitionId { get; }
}

/// <summary>
/// No replica could act as leader within the deadline: the partition is electing, or its leader's silo cannot be reached.
/// The command was not applied, unless it was accepted by a leader that has since been lost (then
/// <see cref="RaftQuorumUnavailableException"/> is thrown instead). Retrying later is safe.
/// </summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftNotLeaderException")]
public sealed class RaftNotLeaderException : RaftPartitionException
{
    /// <summary>Creates the exception.</summary>
    public RaftNotLeaderException(string partitionId, string? lastLeaderHint, string message)
        : base(partitionId, message) => LastLeaderHint = lastLeaderHint;

    /// <summary>The silo last named as leader, if any.</summary>
    [Id(0)]
    public string? LastLeaderHint { get; }
}

/// <summary>No live silo hosts a replica of the partition (it was never created, or all its silos are down).</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftPartitionNotFoundException")]
public sealed class RaftPartitionNotFoundException : RaftPartitionException
{
    /// <summary>Creates the exception.</summary>
    public RaftPartitionNotFoundException(string partitionId)
        : base(partitionId, $"No live silo hosts partition '{partitionId}'.") { }
}

/// <summary>
/// The operation did not complete in time: a quorum of the partition's replicas is not reachable, or a command was
/// accepted but its commit was not seen before the deadline. A proposal that timed out may still be applied (once);
/// read the state to find out, or propose again.
/// </summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftQuorumUnavailableException")]
public sealed class RaftQuorumUnavailableException : RaftPartitionException
{
    /// <summary>Creates the exception.</summary>
    public RaftQuorumUnavailableException(string partitionId, string message) : base(partitionId, message) { }
}

/// <summary>The state machine refused the command deterministically; the state is unchanged on every replica.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftCommandRejectedException")]
public sealed class RaftCommandRejectedException : RaftPartitionException
{
    /// <summary>Creates the exception with the state machine's reason.</summary>
    public RaftCommandRejectedException(string partitionId, string reason)
        : base(partitionId, $"Partition '{partitionId}' rejected the command: {reason}") => Reason = reason;

    /// <summary>The reason the state machine gave.</summary>
    [Id(0)]
    public string Reason { get; }
}

/// <summary>A replica's silo is not an active member of the cluster, so its replica grain cannot be activated.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.RaftReplicaUnavailableException")]
public sealed class RaftReplicaUnavailableException : RaftPartitionException
{
    /// <summary>Creates the exception.</summary>
    public RaftReplicaUnavailableException(string partitionId, string silo)
        : base(partitionId, $"Silo '{silo}' is not an active member; its replica of '{partitionId}' cannot be reached.") => Silo = silo;

    /// <summary>The silo that is not active.</summary>
    [Id(0)]
    public string Silo { get; }
}
