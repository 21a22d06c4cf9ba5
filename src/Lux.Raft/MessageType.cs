namespace Lux.Raft;

/// <summary>
/// Every kind of message a replica handles. Local kinds never leave the process; the others cross the
/// peer channel and the codec gives each a stable wire number (the enum value).
/// </summary>
public enum MessageType : byte
{
    /// <summary>Local: start an election (election timeout elapsed).</summary>
    Hup = 0,
    /// <summary>Local: the leader should send heartbeats.</summary>
    Beat = 1,
    /// <summary>Local: a proposal.</summary>
    Propose = 2,
    /// <summary>AppendEntries request (Raft §5.3).</summary>
    Append = 3,
    /// <summary>AppendEntries response.</summary>
    AppendResponse = 4,
    /// <summary>RequestVote (Raft §5.2).</summary>
    Vote = 5,
    /// <summary>RequestVote response.</summary>
    VoteResponse = 6,
    /// <summary>Install a snapshot (Raft §7). The data travels beside the message.</summary>
    Snapshot = 7,
    /// <summary>Leader heartbeat carrying the commit index.</summary>
    Heartbeat = 8,
    /// <summary>Heartbeat response.</summary>
    HeartbeatResponse = 9,
    /// <summary>Local: a peer could not be reached.</summary>
    Unreachable = 10,
    /// <summary>Local: the outcome of sending a snapshot.</summary>
    SnapshotStatus = 11,
    /// <summary>Local: the leader checks it still hears a quorum (thesis §6.2).</summary>
    CheckQuorum = 12,
    /// <summary>Request a leadership transfer (thesis §3.10); forwarded to the leader.</summary>
    TransferLeader = 13,
    /// <summary>The leader tells the transfer target to campaign at once.</summary>
    TimeoutNow = 14,
    /// <summary>A linearizable read request (thesis §6.4); forwarded to the leader.</summary>
    ReadIndex = 15,
    /// <summary>The leader's answer to a forwarded read request.</summary>
    ReadIndexResponse = 16,
    /// <summary>PreVote request (thesis §9.6).</summary>
    PreVote = 17,
    /// <summary>PreVote response.</summary>
    PreVoteResponse = 18,
}

/// <summary>Helpers over <see cref="MessageType"/>.</summary>
public static class MessageTypes
{
    /// <summary>True for kinds that only exist inside one process.</summary>
    public static bool IsLocal(this MessageType type) => type is MessageType.Hup or MessageType.Beat or MessageType.Propose
        or MessageType.Unreachable or MessageType.SnapshotStatus or MessageType.CheckQuorum;

    /// <summary>True for responses (they never raise a replica's term by themselves in a harmful way).</summary>
    public static bool IsResponse(this MessageType type) => type is MessageType.AppendResponse or MessageType.VoteResponse
        or MessageType.HeartbeatResponse or MessageType.ReadIndexResponse or MessageType.PreVoteResponse;

    /// <summary>The response kind that answers a vote or pre-vote request.</summary>
    public static MessageType VoteResponseFor(this MessageType type) => type switch
    {
        MessageType.Vote => MessageType.VoteResponse,
        MessageType.PreVote => MessageType.PreVoteResponse,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a vote request"),
    };

    /// <summary>The highest defined value, for codecs that validate the wire number.</summary>
    public const MessageType MaxValue = MessageType.PreVoteResponse;
}
