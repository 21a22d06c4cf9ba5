using Lux.Raft.Membership;

namespace Lux.Raft.Tests.Core;

/// <summary>Membership changes (thesis §4): learners, simple changes, joint consensus, removing the leader.</summary>
public class MembershipTests
{
    private static ConfChange Change(params (ConfChangeType Type, ulong Id)[] items) =>
        new(items.Select(i => new ConfChangeItem(i.Type, i.Id)).ToArray());

    [Fact]
    public void A_change_survives_encoding_and_garbage_does_not_decode()
    {
        var change = new ConfChange([new(ConfChangeType.AddLearner, 4), new(ConfChangeType.RemoveNode, 2)], ConfChangeTransition.JointExplicit);
        Assert.True(ConfChange.TryDecode(change.Encode(), out var decoded));
        Assert.Equal(change.Changes, decoded.Changes);
        Assert.Equal(change.Transition, decoded.Transition);
        Assert.False(ConfChange.TryDecode(new byte[] { 1, 0, 5 }, out _));
        Assert.False(ConfChange.TryDecode(new byte[] { 9, 0, 0 }, out _));
        Assert.False(ConfChange.TryDecode(ReadOnlySpan<byte>.Empty, out _));
    }

    [Fact]
    public void A_learner_receives_the_log_but_never_counts_toward_a_quorum()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 4))).IsAccepted);
        c.Stabilize();
        c.Propose(1, "a");
        c.Stabilize();
        Assert.Equal(["a"], c.AppliedText(4));
        Assert.Equal([4UL], c.Configs[1]!.Learners);

        // With both other voters cut off, the learner's copy does not make a majority.
        c.Cut(1, 2);
        c.Cut(1, 3);
        var result = c.Propose(1, "b");
        c.Stabilize();
        Assert.True(c.Storages[4].LastIndex >= result.LastIndex);
        Assert.True(c[1].HardState.Commit < result.LastIndex);

        // A learner never campaigns.
        c.Heal();
        c.Isolate(4);
        for (var i = 0; i < 50; i++) c.Tick(4);
        c.ProcessReadies();
        Assert.Equal(StateRole.Follower, c[4].SoftState.Role);
    }

    [Fact]
    public void A_learner_promoted_to_voter_counts()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 4)));
        c.Stabilize();
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.AddVoter, 4))).IsAccepted);
        c.Stabilize();
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, c.Configs[1]!.Voters.Order().ToArray());
        Assert.Empty(c.Configs[1]!.Learners);
    }

    [Fact]
    public void Only_one_change_at_a_time()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        c.AddNode(5);
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 4))).IsAccepted);
        Assert.Equal(ProposalRejection.ConfChangeRejected, c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 5))).Rejection);
        c.Stabilize();
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 5))).IsAccepted);
    }

    [Fact]
    public void A_majority_is_replaced_through_joint_consensus_and_the_joint_state_is_left_automatically()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        c.AddNode(5);
        c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 4), (ConfChangeType.AddLearner, 5)));
        c.Stabilize();
        var replace = Change((ConfChangeType.AddVoter, 4), (ConfChangeType.AddVoter, 5), (ConfChangeType.RemoveNode, 2), (ConfChangeType.RemoveNode, 3));
        Assert.True(c[1].ProposeConfChange(replace).IsAccepted);
        c.Stabilize();
        foreach (var id in new ulong[] { 1, 4, 5 })
        {
            var conf = c.Configs[id]!;
            Assert.Equal(new ulong[] { 1, 4, 5 }, conf.Voters.Order().ToArray());
            Assert.Empty(conf.VotersOutgoing);
        }
        // The old voters are gone: the new majority commits alone.
        c.Isolate(2);
        c.Isolate(3);
        c.Propose(1, "after");
        c.Stabilize();
        Assert.Contains("after", c.AppliedText(5));
    }

    [Fact]
    public void An_explicit_joint_configuration_needs_an_explicit_leave()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        var change = new ConfChange([new(ConfChangeType.AddVoter, 4)], ConfChangeTransition.JointExplicit);
        Assert.True(c[1].ProposeConfChange(change).IsAccepted);
        c.Stabilize();
        Assert.NotEmpty(c.Configs[1]!.VotersOutgoing);
        Assert.Equal(ProposalRejection.ConfChangeRejected, c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 5))).Rejection);
        Assert.True(c[1].ProposeConfChange(ConfChange.LeaveJoint).IsAccepted);
        c.Stabilize();
        Assert.Empty(c.Configs[1]!.VotersOutgoing);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, c.Configs[1]!.Voters.Order().ToArray());
    }

    [Fact]
    public void A_removed_leader_steps_down_once_the_change_commits()
    {
        var c = new Cluster(3);
        c.Elect(1);
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.RemoveNode, 1))).IsAccepted);
        c.Stabilize();
        Assert.NotEqual(StateRole.Leader, c[1].SoftState.Role);
        Assert.Equal(new ulong[] { 2, 3 }, c.Configs[2]!.Voters.Order().ToArray());
        c.Isolate(1);
        c.TickAll(30);
        var leader = c.Leader;
        Assert.True(leader is 2 or 3);
        Assert.True(c.Propose(leader!.Value, "x").IsAccepted);
        c.Stabilize();
        Assert.Contains("x", c.AppliedText(2));
    }

    [Fact]
    public void Removing_every_voter_is_refused()
    {
        var c = new Cluster(1);
        c.Elect(1);
        Assert.Equal(ProposalRejection.ConfChangeRejected, c[1].ProposeConfChange(Change((ConfChangeType.RemoveNode, 1))).Rejection);
    }

    [Fact]
    public void A_removed_leader_hands_leadership_to_a_caught_up_voter_without_waiting_for_an_election()
    {
        var c = new Cluster(3);
        c.Elect(1);
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.RemoveNode, 1))).IsAccepted);
        c.Stabilize();

        var leader = c.Leader;
        Assert.True(leader is 2 or 3, $"leader {leader}");
        Assert.Equal(StateRole.Follower, c[1].SoftState.Role);
        Assert.True(c.Propose(leader!.Value, "after").IsAccepted);
        c.Stabilize();
        Assert.Contains("after", c.AppliedText(5 - leader.Value));
    }

    [Fact]
    public void New_voters_left_in_the_joint_configuration_are_rescued_by_a_removed_replica_with_the_longest_log()
    {
        // Replace voters 1 and 2 by 4 and 5. The leader commits the leave-joint entry and tells only replica 2,
        // which also holds a newer entry; then the leader is gone. Voters 3, 4 and 5 are still joint and need a vote of
        // 2, which refuses them (its log is longer) and, having applied its removal, is no voter any more.
        var c = new Cluster(3);
        c.Elect(1);
        c.AddNode(4);
        c.AddNode(5);
        Assert.True(c[1].ProposeConfChange(Change((ConfChangeType.AddLearner, 4), (ConfChangeType.AddLearner, 5))).IsAccepted);
        c.Stabilize();
        var replace = new ConfChange(
            [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.AddVoter, 5), new(ConfChangeType.RemoveNode, 1), new(ConfChangeType.RemoveNode, 2)],
            ConfChangeTransition.JointExplicit);
        Assert.True(c[1].ProposeConfChange(replace).IsAccepted);
        c.Stabilize();
        Assert.Equal(new ulong[] { 1, 2, 3 }, c.Configs[5]!.VotersOutgoing.Order().ToArray());

        Assert.True(c[1].ProposeConfChange(ConfChange.LeaveJoint).IsAccepted);
        c.Cut(1, 5);
        DeliverAll(c);                              // the leave-joint entry reaches 2, 3 and 4
        DeliverAll(c);                              // their acknowledgements commit it at the leader
        Assert.True(c.Propose(1, "newest").IsAccepted);
        c.Isolate(1);
        c.Reconnect(1, 2);
        DeliverAll(c);                              // the leader applies its removal; only 2 hears of the commit and the newest entry
        c.ProcessReadies();
        c.Isolate(1);
        Assert.Equal(new ulong[] { 3, 4, 5 }, c.Configs[2]!.Voters.Order().ToArray());
        Assert.Empty(c.Configs[2]!.VotersOutgoing);
        Assert.NotEmpty(c.Configs[3]!.VotersOutgoing);

        c.TickAll(100);

        var leader = c.Leader;
        Assert.True(leader is 3 or 4 or 5, $"leader {leader}");
        foreach (var id in new ulong[] { 3, 4, 5 })
        {
            Assert.Empty(c.Configs[id]!.VotersOutgoing);
            Assert.Contains("newest", c.AppliedText(id));
        }
    }

    private static void DeliverAll(Cluster c)
    {
        c.ProcessReadies();
        var batch = c.Pool.ToList();
        c.Pool.Clear();
        foreach (var m in batch) c.Deliver(m);
    }
}
