namespace Lux.Raft.Simulation;

/// <summary>What one simulated run looks like. Every random choice derives from <see cref="Seed"/>.</summary>
public sealed record SimulationOptions
{
    public ulong Seed { get; init; } = 1;

    /// <summary>Replicas in the cluster (3 or 5).</summary>
    public int Replicas { get; init; } = 3;

    /// <summary>Steps to run with faults on; one step is one tick period of virtual time.</summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Virtual time units per tick.</summary>
    public int TickUnits { get; init; } = 10;

    public int ElectionTick { get; init; } = 10;

    public int HeartbeatTick { get; init; } = 2;

    public int Clients { get; init; } = 4;

    public int Keys { get; init; } = 3;

    /// <summary>Whether the nemesis (crashes, partitions, drops, duplicates, transfers) runs.</summary>
    public bool Faults { get; init; } = true;

    /// <summary>Whether the nemesis also changes membership: adds learners, promotes, removes, replaces a majority jointly.</summary>
    public bool MembershipChanges { get; init; } = true;

    /// <summary>Whether replicas snapshot their state machine and compact their logs now and then (so lagging replicas get snapshots).</summary>
    public bool Snapshots { get; init; } = true;

    /// <summary>Applied entries beyond the first log index after which a replica may compact.</summary>
    public int CompactThreshold { get; init; } = 100;

    /// <summary>Ticks allowed after healing for a leader to be elected and a write to commit.</summary>
    public int LivenessTicks { get; init; } = 300;

    /// <summary>Ticks a client waits for a write before recording its outcome as unknown.</summary>
    public int ClientTimeoutTicks { get; init; } = 40;

    /// <summary>Maximum message delay in time units (random per message; reordering follows).</summary>
    public int MaxMessageDelay { get; init; } = 15;

    /// <summary>Maximum disk write latency in time units.</summary>
    public int MaxDiskDelay { get; init; } = 8;

    /// <summary>
    /// A deliberately broken host that reports writes durable before they are (acknowledging on write, not on sync),
    /// used to show that the invariant checks catch lost commits.
    /// </summary>
    public bool UnsafeAcknowledgeBeforeSync { get; init; }

    /// <summary>
    /// Whether clients retry a write whose answer is late (after <see cref="RetryTicks"/>) at another replica, with the
    /// same session sequence number, instead of only waiting; the session layer must apply it once.
    /// </summary>
    public bool RetryWrites { get; init; } = true;

    /// <summary>Ticks a client waits for a write's answer before retrying it.</summary>
    public int RetryTicks { get; init; } = 12;

    /// <summary>Session limits of the replicated session table; small, so eviction and expiry happen during a run.</summary>
    public int MaxSessions { get; init; } = 6;

    /// <summary>Share of reads served stale from a random replica's local state (checked against the committed log, not linearizability).</summary>
    public double StaleReadShare { get; init; } = 0.2;

    /// <summary>Whether linearizable reads use the leader lease (ReadOnlyOption.LeaseBased) instead of ReadIndex.</summary>
    public bool LeaseReads { get; init; }

    /// <summary>
    /// Each replica's clock runs at a rate drawn from [1 - drift, 1 + drift] of true time (per life). Lease reads are
    /// safe while LeaseTicks × (1 + drift) is less than ElectionTick × (1 - drift).
    /// </summary>
    public double ClockDrift { get; init; }

    /// <summary>Ticks of the leader lease (0: the core's default, ElectionTick - 2).</summary>
    public int LeaseTicks { get; init; }

    /// <summary>A deliberately broken host that bypasses the session table and applies every committed command, retries included.</summary>
    public bool UnsafeNoDeduplication { get; init; }

    /// <summary>Print every event (for replaying a failing seed).</summary>
    public bool Trace { get; init; }
}
