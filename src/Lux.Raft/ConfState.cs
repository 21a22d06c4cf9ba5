namespace Lux.Raft;

/// <summary>
/// A membership configuration: who votes and who only learns. During a joint-consensus change (thesis §4.3)
/// <see cref="VotersOutgoing"/> holds the old voters and decisions need a majority of both sets.
/// </summary>
public sealed record ConfState
{
    /// <summary>The voters of the (incoming) configuration.</summary>
    public IReadOnlyList<ulong> Voters { get; init; } = [];

    /// <summary>Non-voting members that receive the log.</summary>
    public IReadOnlyList<ulong> Learners { get; init; } = [];

    /// <summary>The voters of the outgoing configuration while a joint change is in progress; empty otherwise.</summary>
    public IReadOnlyList<ulong> VotersOutgoing { get; init; } = [];

    /// <summary>Voters of the outgoing configuration that become learners when the joint state is left.</summary>
    public IReadOnlyList<ulong> LearnersNext { get; init; } = [];

    /// <summary>Whether the leader leaves the joint configuration on its own once it is committed.</summary>
    public bool AutoLeave { get; init; }

    /// <summary>A configuration of the given voters only.</summary>
    public static ConfState OfVoters(params ulong[] voters) => new() { Voters = voters };

    /// <summary>True when there is no member at all.</summary>
    public bool IsEmpty => Voters.Count == 0 && Learners.Count == 0 && VotersOutgoing.Count == 0 && LearnersNext.Count == 0;

    /// <summary>Structural equality over the member sets, ignoring order.</summary>
    public bool Equals(ConfState? other) =>
        other is not null && AutoLeave == other.AutoLeave && SameSet(Voters, other.Voters) && SameSet(Learners, other.Learners)
        && SameSet(VotersOutgoing, other.VotersOutgoing) && SameSet(LearnersNext, other.LearnersNext);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voters.Count, Learners.Count, VotersOutgoing.Count, AutoLeave);

    /// <inheritdoc />
    public override string ToString() =>
        $"voters=({string.Join(" ", Voters.Order())})" + (VotersOutgoing.Count > 0 ? $"&&({string.Join(" ", VotersOutgoing.Order())})" : "")
        + (Learners.Count > 0 ? $" learners=({string.Join(" ", Learners.Order())})" : "")
        + (LearnersNext.Count > 0 ? $" learners_next=({string.Join(" ", LearnersNext.Order())})" : "")
        + (AutoLeave ? " autoleave" : "");

    private static bool SameSet(IReadOnlyList<ulong> a, IReadOnlyList<ulong> b) =>
        a.Count == b.Count && a.All(b.Contains);
}

/// <summary>Describes a snapshot: the last index and term it covers and the membership at that point.</summary>
/// <param name="Index">The last log index included in the snapshot.</param>
/// <param name="Term">The term of that entry.</param>
/// <param name="ConfState">The membership as of <paramref name="Index"/>.</param>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState)
{
    /// <summary>The metadata of "no snapshot".</summary>
    public static SnapshotMetadata Empty { get; } = new(0, 0, new ConfState());

    /// <summary>True for <see cref="Empty"/>.</summary>
    public bool IsEmpty => Index == 0;
}
