namespace Lux.Orleans;

/// <summary>How fresh a read must be, and what it costs.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.ReadConsistency")]
public enum ReadConsistency : byte
{
    /// <summary>
    /// Linearizable: the read sees every write acknowledged before it started. The leader confirms it still leads with a
    /// heartbeat round (ReadIndex) and answers once its state machine has applied that far. Assumes nothing about clocks.
    /// </summary>
    Linearizable = 0,

    /// <summary>
    /// Linearizable as long as the replicas' clocks run at about the same rate: the leader answers from its lease (a quorum
    /// acknowledged it within the last few ticks) without a heartbeat round. Falls back to <see cref="Linearizable"/>
    /// when the lease is not valid. Unsafe if a silo can be paused (GC, VM freeze) longer than the lease margin.
    /// </summary>
    Lease = 1,

    /// <summary>The state of whichever replica answers (preferably a local one): may miss recent writes. Cheapest.</summary>
    Stale = 2,
}
