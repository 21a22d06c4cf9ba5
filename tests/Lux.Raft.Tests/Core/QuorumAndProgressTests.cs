using Lux.Raft.Quorum;
using Lux.Raft.Tracking;

namespace Lux.Raft.Tests.Core;

public class QuorumAndProgressTests
{
    private sealed class Acks(Dictionary<ulong, ulong> acks) : IAckedIndexer
    {
        public ulong AckedIndex(ulong id) => acks.GetValueOrDefault(id);
    }

    [Theory]
    [InlineData(new ulong[] { 5 }, 5)]
    [InlineData(new ulong[] { 5, 3 }, 3)]
    [InlineData(new ulong[] { 5, 3, 1 }, 3)]
    [InlineData(new ulong[] { 9, 1, 7, 3 }, 3)]
    [InlineData(new ulong[] { 9, 8, 1, 1, 2 }, 2)]
    public void Majority_commit_index_is_the_highest_index_a_majority_holds(ulong[] matches, ulong expected)
    {
        var ids = Enumerable.Range(1, matches.Length).Select(i => (ulong)i).ToArray();
        var config = new MajorityConfig(ids);
        var acks = new Acks(ids.Zip(matches).ToDictionary(p => p.First, p => p.Second));
        Assert.Equal(expected, config.CommittedIndex(acks));
    }

    [Fact]
    public void Joint_commit_needs_both_majorities()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([4, 5, 6]));
        var acks = new Acks(new() { [1] = 10, [2] = 10, [3] = 10, [4] = 2, [5] = 2, [6] = 2 });
        Assert.Equal(2UL, joint.CommittedIndex(acks));
    }

    [Fact]
    public void Votes_are_won_lost_or_pending()
    {
        var config = new MajorityConfig([1, 2, 3]);
        Assert.Equal(VoteResult.Pending, config.Vote(id => id == 1 ? true : null));
        Assert.Equal(VoteResult.Won, config.Vote(id => id != 3 ? true : null));
        Assert.Equal(VoteResult.Lost, config.Vote(id => id == 1));
    }

    [Fact]
    public void Inflights_free_up_to_an_acknowledged_index()
    {
        var inflights = new Inflights(3);
        inflights.Add(10, 1);
        inflights.Add(20, 1);
        inflights.Add(30, 1);
        Assert.True(inflights.Full);
        inflights.FreeLE(20);
        Assert.Equal(1, inflights.Count);
        inflights.Add(40, 1);
        inflights.Add(50, 1);
        Assert.True(inflights.Full);
        inflights.FreeLE(45);
        Assert.Equal(1, inflights.Count);
        Assert.Throws<InvalidOperationException>(() => { inflights.Add(60, 1); inflights.Add(70, 1); inflights.Add(80, 1); });
    }

    [Fact]
    public void A_probe_rejection_uses_the_hint_but_never_goes_below_match()
    {
        var pr = new Progress(next: 100, maxInflight: 4, maxInflightBytes: long.MaxValue, isLearner: false) { Match = 10 };
        Assert.False(pr.MaybeDecrTo(50, 5));
        Assert.True(pr.MaybeDecrTo(99, 5));
        Assert.Equal(11UL, pr.Next);
    }

    [Fact]
    public void Stale_rejections_in_replicate_state_are_ignored()
    {
        var pr = new Progress(next: 11, maxInflight: 4, maxInflightBytes: long.MaxValue, isLearner: false) { Match = 10 };
        pr.BecomeReplicate();
        pr.SentEntries(5, 50);
        Assert.False(pr.MaybeDecrTo(9, 9));
        Assert.True(pr.MaybeDecrTo(12, 11));
        Assert.Equal(11UL, pr.Next);
    }
}
