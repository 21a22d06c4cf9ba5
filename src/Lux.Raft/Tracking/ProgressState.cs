namespace Lux.Raft.Tracking;

/// <summary>How the leader is replicating to one follower.</summary>
public enum ProgressState : byte
{
    /// <summary>The leader does not know where the follower's log ends: one Append at a time until it learns.</summary>
    Probe = 0,
    /// <summary>The follower is in step: Appends are pipelined up to the inflight window.</summary>
    Replicate = 1,
    /// <summary>The follower needs a snapshot; nothing else is sent until it is installed or fails.</summary>
    Snapshot = 2,
}
