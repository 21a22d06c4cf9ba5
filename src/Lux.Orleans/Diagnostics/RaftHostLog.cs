using Microsoft.Extensions.Logging;

namespace Lux.Orleans.Diagnostics;

/// <summary>The replica host's log events (event ids 100-149).</summary>
internal static partial class RaftHostLog
{
    [LoggerMessage(100, LogLevel.Information, "Lux replica host of silo {Silo} (replica id {ReplicaId:x16}) started: {Protocol} peer channel on {EndPoint}, {Partitions} partitions reopened from {DataDirectory}")]
    public static partial void HostStarted(ILogger logger, string silo, ulong replicaId, string protocol, string endPoint, int partitions, string dataDirectory);

    [LoggerMessage(101, LogLevel.Information, "Lux replica host of silo {Silo} stopped")]
    public static partial void HostStopped(ILogger logger, string silo);

    [LoggerMessage(102, LogLevel.Information, "Partition {Partition}: replica created on {Silo} (state machine {StateMachine}, bootstrap voters {Voters}, joining {Joining})")]
    public static partial void ReplicaCreated(ILogger logger, string partition, string silo, string stateMachine, string voters, bool joining);

    [LoggerMessage(103, LogLevel.Information, "Partition {Partition}: replica on {Silo} was removed from the configuration; its log and snapshots are deleted")]
    public static partial void ReplicaRemoved(ILogger logger, string partition, string silo);

    [LoggerMessage(104, LogLevel.Information, "Partition {Partition}: leader is now {Leader} in term {Term} (seen from {Silo})")]
    public static partial void LeaderChanged(ILogger logger, string partition, string? leader, ulong term, string silo);

    [LoggerMessage(105, LogLevel.Critical, "Partition {Partition}: replica on {Silo} stopped after a fault; it takes no further part until the silo restarts")]
    public static partial void ReplicaFaulted(ILogger logger, Exception exception, string partition, string silo);

    [LoggerMessage(106, LogLevel.Information, "Partition {Partition}: snapshot at {Index}/{Term} written ({Bytes} bytes)")]
    public static partial void SnapshotTaken(ILogger logger, string partition, ulong index, ulong term, long bytes);

    [LoggerMessage(107, LogLevel.Information, "Partition {Partition}: installed snapshot {Index}/{Term} received from {Peer}")]
    public static partial void SnapshotInstalled(ILogger logger, string partition, ulong index, ulong term, string peer);

    [LoggerMessage(108, LogLevel.Warning, "Partition {Partition}: sending snapshot {Index} to {Peer} failed: {Reason}")]
    public static partial void SnapshotSendFailed(ILogger logger, string partition, ulong index, string peer, string reason);

    [LoggerMessage(109, LogLevel.Debug, "Message for partition {PartitionKey:x16} from {Peer} dropped: no local replica")]
    public static partial void UnknownPartition(ILogger logger, ulong partitionKey, string peer);

    [LoggerMessage(110, LogLevel.Information, "Partition {Partition}: membership is now {ConfState}")]
    public static partial void MembershipApplied(ILogger logger, string partition, string confState);

    [LoggerMessage(111, LogLevel.Warning, "Peer endpoint of silo {Silo} could not be resolved: {Reason}")]
    public static partial void ResolveFailed(ILogger logger, string silo, string reason);

    [LoggerMessage(112, LogLevel.Information, "Peer endpoint of silo {Silo} is {EndPoint}")]
    public static partial void Resolved(ILogger logger, string silo, string endPoint);

    [LoggerMessage(113, LogLevel.Warning, "Silo {Silo} was declared dead; partition {Partition} led here replaces its replica")]
    public static partial void RepairStarted(ILogger logger, string silo, string partition);

    [LoggerMessage(114, LogLevel.Warning, "Partition {Partition}: repair of the replica on {Silo} failed: {Reason}")]
    public static partial void RepairFailed(ILogger logger, string partition, string silo, string reason);

    [LoggerMessage(115, LogLevel.Information, "Partition {Partition}: replica on {Silo} replaced by one on {Replacement}")]
    public static partial void RepairDone(ILogger logger, string partition, string silo, string replacement);

    [LoggerMessage(116, LogLevel.Warning, "Configured partition {Partition} could not be created yet: {Reason}")]
    public static partial void ConfiguredPartitionPending(ILogger logger, string partition, string reason);

    [LoggerMessage(117, LogLevel.Warning, "Raft partition {PartitionKey:x16} replica {ReplicaId:x16}: {Message}")]
    public static partial void RaftWarning(ILogger logger, ulong partitionKey, ulong replicaId, string message);

    [LoggerMessage(118, LogLevel.Debug, "Raft partition {PartitionKey:x16} replica {ReplicaId:x16}: {Message}")]
    public static partial void RaftInfo(ILogger logger, ulong partitionKey, ulong replicaId, string message);

    [LoggerMessage(119, LogLevel.Warning, "Membership watch failed: {Reason}")]
    public static partial void MembershipWatchFailed(ILogger logger, string reason);

    [LoggerMessage(130, LogLevel.Warning, "Silo {Silo}: recording silo names {Silos} in the local catalog failed (the next catalog write retries): {Reason}")]
    public static partial void CatalogSilosNotRecorded(ILogger logger, string silo, string silos, string reason);
}
