namespace Lux.Orleans;

/// <summary>
/// One replicated partition, keyed by its id (for example "orders"). Callable from any client or grain: it routes to the
/// partition's leader, follows leader changes and retries safely. Every proposal carries a client session id and a
/// sequence number, so a retried proposal is applied exactly once.
/// <para>
/// Commands, queries and results are whatever types the partition's state machine uses; they travel through Orleans'
/// serializer (mark them <c>[GenerateSerializer]</c>). <see cref="RaftPartitionExtensions"/> adds typed overloads.
/// </para>
/// </summary>
[Alias("Lux.Orleans.IRaftPartitionGrain")]
public interface IRaftPartitionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Replicates <paramref name="command"/>, applies it once it is committed, and returns the state machine's result.
    /// </summary>
    /// <exception cref="RaftCommandRejectedException">The state machine refused the command; nothing changed.</exception>
    /// <exception cref="RaftPartitionNotFoundException">No silo hosts the partition.</exception>
    /// <exception cref="RaftNotLeaderException">No leader could be reached within the proposal timeout.</exception>
    /// <exception cref="RaftQuorumUnavailableException">A leader accepted the command but it did not commit in time; it may still commit.</exception>
    Task<object?> ProposeAsync(object command, CancellationToken cancellationToken = default);

    /// <summary>Answers <paramref name="query"/> against the partition's state, as fresh as <paramref name="consistency"/> asks.</summary>
    Task<object?> ReadAsync(object query, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken cancellationToken = default);

    /// <summary>The partition's leader, term, commit and applied index, members and their replication progress.</summary>
    Task<PartitionStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Hands leadership to the replica on <paramref name="silo"/> (a member) and waits until it leads.</summary>
    Task TransferLeadershipAsync(string silo, CancellationToken cancellationToken = default);

    /// <summary>Adds a replica on <paramref name="silo"/>: as a learner first, promoted to voter once it has caught up.</summary>
    Task AddReplicaAsync(string silo, CancellationToken cancellationToken = default);

    /// <summary>Removes the replica on <paramref name="silo"/> from the partition.</summary>
    Task RemoveReplicaAsync(string silo, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the replica on <paramref name="deadSilo"/> by one on <paramref name="replacementSilo"/> (or on a live silo
    /// chosen by rendezvous hashing when null): learner, catch-up, then one joint-consensus change that promotes the new
    /// replica and removes the old one.
    /// </summary>
    Task ReplaceReplicaAsync(string deadSilo, string? replacementSilo = null, CancellationToken cancellationToken = default);
}
