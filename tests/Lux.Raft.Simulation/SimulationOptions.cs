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

    /// <summary>Print every event (for replaying a failing seed).</summary>
    public bool Trace { get; init; }
}
