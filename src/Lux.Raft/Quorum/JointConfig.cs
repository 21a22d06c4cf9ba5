namespace Lux.Raft.Quorum;

/// <summary>
/// Two majority configurations that must both agree (joint consensus, thesis §4.3). Outside a membership change
/// the outgoing half is empty and the joint configuration is just the incoming majority.
/// </summary>
public sealed class JointConfig
{
    /// <summary>Creates a joint configuration.</summary>
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing)
    {
        Incoming = incoming;
        Outgoing = outgoing;
        Ids = incoming.Ids.Union(outgoing.Ids).Order().ToArray();
    }

    /// <summary>The voters of the new (or only) configuration.</summary>
    public MajorityConfig Incoming { get; }

    /// <summary>The voters of the old configuration during a joint change; empty otherwise.</summary>
    public MajorityConfig Outgoing { get; }

    /// <summary>Every voter of either half, ascending.</summary>
    public IReadOnlyList<ulong> Ids { get; }

    /// <summary>Whether a joint change is in progress.</summary>
    public bool IsJoint => Outgoing.Count > 0;

    /// <summary>Whether <paramref name="id"/> votes in either half.</summary>
    public bool Contains(ulong id) => Incoming.Contains(id) || Outgoing.Contains(id);

    /// <summary>The largest index acknowledged by a majority of both halves.</summary>
    public ulong CommittedIndex<T>(T acked) where T : IAckedIndexer =>
        Math.Min(Incoming.CommittedIndex(acked), Outgoing.CommittedIndex(acked));

    /// <summary>Won only if both halves won; lost if either lost.</summary>
    public VoteResult Vote(Func<ulong, bool?> vote)
    {
        var a = Incoming.Vote(vote);
        var b = Outgoing.Vote(vote);
        if (a == b) return a;
        if (a == VoteResult.Lost || b == VoteResult.Lost) return VoteResult.Lost;
        return VoteResult.Pending;
    }

    /// <inheritdoc />
    public override string ToString() => IsJoint ? $"{Incoming}&&{Outgoing}" : Incoming.ToString();
}
