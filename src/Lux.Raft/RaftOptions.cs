namespace Lux.Raft;

using Lux.Raft.Storage;

/// <summary>Configuration of one replica.</summary>
public sealed record RaftOptions
{
    /// <summary>This replica's id; never <see cref="RaftConstants.None"/>.</summary>
    public required ulong Id { get; init; }

    /// <summary>The stable log the replica starts from.</summary>
    public required IRaftStorage Storage { get; init; }

    /// <summary>Ticks a follower waits without hearing a leader before it campaigns. The actual timeout is randomized in [ElectionTick, 2*ElectionTick).</summary>
    public int ElectionTick { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats. Must be less than <see cref="ElectionTick"/>.</summary>
    public int HeartbeatTick { get; init; } = 1;

    /// <summary>The last index the state machine already applied (on restart). Committed entries after it are delivered again.</summary>
    public ulong Applied { get; init; }

    /// <summary>Upper bound on the entry bytes in one Append message.</summary>
    public long MaxSizePerMessage { get; init; } = 1024 * 1024;

    /// <summary>Upper bound on the entry bytes handed out in one Ready's committed entries.</summary>
    public long MaxCommittedSizePerReady { get; init; } = 64 * 1024 * 1024;

    /// <summary>How many Append messages may be in flight to one follower in the replicate state.</summary>
    public int MaxInflightMessages { get; init; } = 256;

    /// <summary>Upper bound on the bytes of uncommitted entries the leader accepts; further proposals are dropped.</summary>
    public long MaxUncommittedEntriesSize { get; init; } = RaftConstants.NoLimit;

    /// <summary>Campaign with a pre-vote round first, so a partitioned replica does not disrupt the cluster when it returns (thesis §9.6).</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down when it has not heard a quorum for an election timeout, and followers ignore votes while they hear a leader (thesis §6.2, §4.2.3).</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>How linearizable reads are confirmed.</summary>
    public ReadOnlyOption ReadOnlyOption { get; init; } = ReadOnlyOption.Safe;

    /// <summary>Seed of the replica's randomness (election timeouts). Same seed, same inputs: same outputs.</summary>
    public ulong Seed { get; init; }

    /// <summary>Where the replica reports elections, leader changes and refused input.</summary>
    public IRaftLogger Logger { get; init; } = NullRaftLogger.Instance;

    /// <summary>
    /// With <see cref="ReadOnlyOption.LeaseBased"/>: how many ticks after the leader last heard a quorum its lease stays valid.
    /// Must be shorter than <see cref="ElectionTick"/> (thesis §6.4.1: the lease must end before another leader can be elected);
    /// the default leaves room for clock drift. 0 means ElectionTick - 2 (at least 1).
    /// </summary>
    public int LeaseTicks { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Id == RaftConstants.None) throw new ArgumentException("Id must not be 0 (0 means 'none').", nameof(Id));
        ArgumentNullException.ThrowIfNull(Storage);
        if (HeartbeatTick <= 0) throw new ArgumentException("HeartbeatTick must be positive.", nameof(HeartbeatTick));
        if (ElectionTick <= HeartbeatTick) throw new ArgumentException("ElectionTick must be greater than HeartbeatTick.", nameof(ElectionTick));
        if (MaxInflightMessages <= 0) throw new ArgumentException("MaxInflightMessages must be positive.", nameof(MaxInflightMessages));
        if (MaxSizePerMessage <= 0) throw new ArgumentException("MaxSizePerMessage must be positive.", nameof(MaxSizePerMessage));
        if (MaxCommittedSizePerReady <= 0) throw new ArgumentException("MaxCommittedSizePerReady must be positive.", nameof(MaxCommittedSizePerReady));
        if (MaxUncommittedEntriesSize <= 0) throw new ArgumentException("MaxUncommittedEntriesSize must be positive.", nameof(MaxUncommittedEntriesSize));
        if (LeaseTicks < 0 || LeaseTicks >= ElectionTick) throw new ArgumentException("LeaseTicks must be in [0, ElectionTick).", nameof(LeaseTicks));
        if (ReadOnlyOption == ReadOnlyOption.LeaseBased && !CheckQuorum)
        {
            throw new ArgumentException("LeaseBased reads need CheckQuorum, or a deposed leader could serve stale reads.", nameof(ReadOnlyOption));
        }
    }
}
