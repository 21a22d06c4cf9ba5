namespace Lux.Raft;

/// <summary>
/// A Raft message. One flat shape serves every <see cref="MessageType"/> (as in etcd's raftpb.Message);
/// fields a kind does not use keep their defaults. Messages are immutable once built.
/// </summary>
public sealed record Message
{
    /// <summary>What this message is.</summary>
    public MessageType Type { get; init; }

    /// <summary>The replica it is addressed to.</summary>
    public ulong To { get; init; }

    /// <summary>The replica that sent it.</summary>
    public ulong From { get; init; }

    /// <summary>The sender's term; 0 for local messages.</summary>
    public ulong Term { get; init; }

    /// <summary>Append: term of the entry at <see cref="Index"/>. Vote: the candidate's last log term. AppendResponse (reject): the follower's term at <see cref="RejectHint"/>.</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Append: index preceding <see cref="Entries"/>. Vote: the candidate's last index. AppendResponse: the acknowledged or rejected index. ReadIndexResponse: the read index.</summary>
    public ulong Index { get; init; }

    /// <summary>Entries carried by Append (and Propose).</summary>
    public Entry[] Entries { get; init; } = [];

    /// <summary>The sender's commit index (Append, Heartbeat).</summary>
    public ulong Commit { get; init; }

    /// <summary>Whether a response refuses the request.</summary>
    public bool Reject { get; init; }

    /// <summary>AppendResponse (reject): the follower's guess of where the logs may match (fast back-off, thesis §5.3 end).</summary>
    public ulong RejectHint { get; init; }

    /// <summary>Snapshot: what the snapshot covers. The snapshot data is sent beside the message by the transport.</summary>
    public SnapshotMetadata? Snapshot { get; init; }

    /// <summary>Opaque request context: ReadIndex requests and their heartbeats, echoed back unchanged.</summary>
    public ReadOnlyMemory<byte> Context { get; init; }

    /// <summary>Vote/PreVote: the campaign follows a leadership transfer, so the receiver's leader lease does not apply.</summary>
    public bool LeaderTransfer { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = $"{From}->{To} {Type} Term:{Term} Log:{LogTerm}/{Index}";
        if (Commit != 0) text += $" Commit:{Commit}";
        if (Reject) text += $" Rejected (Hint: {RejectHint})";
        if (Entries.Length > 0) text += $" Entries:[{string.Join(", ", Entries.Take(4))}{(Entries.Length > 4 ? ", ..." : "")}]";
        if (Snapshot is { IsEmpty: false } s) text += $" Snapshot:{s.Index}/{s.Term} {s.ConfState}";
        if (LeaderTransfer) text += " (transfer)";
        return text;
    }
}
