namespace Lux.Raft;

/// <summary>How a leader confirms that a read is linearizable.</summary>
public enum ReadOnlyOption : byte
{
    /// <summary>ReadIndex: confirm leadership with a heartbeat round to a quorum (thesis §6.4). Always safe. The default.</summary>
    Safe = 0,

    /// <summary>
    /// Leader lease (thesis §6.4.1): serve from the leader while it heard a quorum within the lease. Needs
    /// <see cref="RaftOptions.CheckQuorum"/> and relies on bounded clock drift between replicas.
    /// </summary>
    LeaseBased = 1,
}
