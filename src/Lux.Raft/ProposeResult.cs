namespace Lux.Raft;

/// <summary>Why a proposal was not appended.</summary>
public enum ProposalRejection : byte
{
    /// <summary>Accepted.</summary>
    None = 0,
    /// <summary>This replica is not the leader; <see cref="ProposeResult.LeaderHint"/> names the leader if known.</summary>
    NotLeader = 1,
    /// <summary>A leadership transfer is in progress; retry at the new leader.</summary>
    LeadershipTransferInProgress = 2,
    /// <summary>The leader holds too many uncommitted bytes (back-pressure); retry later.</summary>
    TooManyUncommitted = 3,
    /// <summary>Nothing was proposed.</summary>
    Empty = 4,
    /// <summary>A membership change is already pending, or the change is invalid.</summary>
    ConfChangeRejected = 5,
}

/// <summary>
/// The outcome of a proposal. An accepted proposal occupies [<see cref="FirstIndex"/>, <see cref="LastIndex"/>] in
/// <see cref="Term"/>; it is committed when the committed entry at those indexes carries that term, and lost if a
/// different term shows up there.
/// </summary>
public readonly record struct ProposeResult(ProposalRejection Rejection, ulong FirstIndex, ulong LastIndex, ulong Term, ulong LeaderHint)
{
    /// <summary>Whether the proposal was appended to the leader's log.</summary>
    public bool IsAccepted => Rejection == ProposalRejection.None;

    internal static ProposeResult Accepted(ulong first, ulong last, ulong term) => new(ProposalRejection.None, first, last, term, RaftConstants.None);

    internal static ProposeResult Rejected(ProposalRejection reason, ulong leaderHint) => new(reason, 0, 0, 0, leaderHint);
}
