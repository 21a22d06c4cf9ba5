using Lux.Raft.Sessions;
using Lux.Raft.StateMachine;
using Lux.Raft.Transport;

namespace Lux.Orleans.Hosting;

/// <summary>Configuration of Lux.Orleans on a silo (section <c>Lux</c> when bound from configuration).</summary>
public sealed class LuxRaftOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Lux";

    /// <summary>Where this silo keeps its write-ahead log, snapshots and partition catalog. Required; one per silo.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Peer-channel protocol between silos: <see cref="TransportProtocol.Tcp"/> (default) or <see cref="TransportProtocol.Http"/>.</summary>
    public TransportProtocol Protocol { get; set; } = TransportProtocol.Tcp;

    /// <summary>Address the peer channel listens on. Default 127.0.0.1.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Port the peer channel listens on; 0 (default) picks a free port, advertised to the other silos through Orleans.</summary>
    public int ListenPort { get; set; }

    /// <summary>Address other silos use to reach this one, when it differs from <see cref="ListenAddress"/> (e.g. listening on 0.0.0.0).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Secret shared by the cluster's silos; peers prove knowledge of it before any Raft message is accepted (at least 16 characters).</summary>
    public string? ClusterSecret { get; set; }

    /// <summary>Further peer-channel settings (TLS certificates, queue bounds); node id, protocol and endpoint are set from these options.</summary>
    public Action<PeerChannelOptions>? ConfigurePeerChannel { get; set; }

    /// <summary>Length of one Raft tick. Default 100 ms.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Election timeout in ticks (randomized in [n, 2n)). Default 10.</summary>
    public int ElectionTicks { get; set; } = 10;

    /// <summary>Heartbeat interval in ticks. Default 1.</summary>
    public int HeartbeatTicks { get; set; } = 1;

    /// <summary>Pre-vote before elections. Default true.</summary>
    public bool PreVote { get; set; } = true;

    /// <summary>Leaders step down without a live quorum; required for <see cref="ReadConsistency.Lease"/> reads. Default true.</summary>
    public bool CheckQuorum { get; set; } = true;

    /// <summary>When replicas snapshot their state machines and compact their logs.</summary>
    public SnapshotPolicy SnapshotPolicy { get; set; } = new();

    /// <summary>
    /// Let idle partitions go quiet: a leader whose followers hold its whole log stops ticking after an election timeout
    /// without activity and tells its followers to stop too; silo-level keepalives on the peer channel wake them when
    /// the leader's silo goes silent. Default true.
    /// </summary>
    public bool EnableQuiescence { get; set; } = true;

    /// <summary>Client-session limits; every silo must use the same values.</summary>
    public SessionOptions Sessions { get; set; } = new();

    /// <summary>How long a proposal or read may take in total, through leader changes and retries. Default 30 s.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt at a replica may take before the router retries. Default 5 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Fsync the WAL before acknowledging. Default true; false only for tests (acknowledged writes survive a process crash, not a power loss).</summary>
    public bool SyncWrites { get; set; } = true;

    /// <summary>Replace replicas on silos Orleans declared dead. Default true.</summary>
    public bool EnableRepair { get; set; } = true;

    /// <summary>How often leaders look for replicas on dead silos. Default 5 s.</summary>
    public TimeSpan RepairInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Partitions to create once enough silos are up (idempotent: existing partitions are left alone).</summary>
    public List<LuxPartitionOptions> Partitions { get; set; } = [];
}

/// <summary>A partition declared in configuration.</summary>
public sealed class LuxPartitionOptions
{
    /// <summary>The partition id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The registered name of its state machine.</summary>
    public string StateMachine { get; set; } = "";

    /// <summary>Number of replicas. Default 3.</summary>
    public int ReplicationFactor { get; set; } = 3;
}
