namespace Lux.Raft.Tests.Core;

/// <summary>Log replication (Raft §5.3), the commit rule (§5.4.2), batching and flow control.</summary>
public class ReplicationTests
{
    [Fact]
    public void A_proposal_commits_on_a_majority_and_is_applied_everywhere()
    {
        var c = new Cluster(3);
        c.Elect(1);
        var result = c.Propose(1, "a");
        Assert.True(result.IsAccepted);
        c.Stabilize();
        Assert.All(c.Ids, id => Assert.Equal(["a"], c.AppliedText(id)));
        Assert.Equal(result.LastIndex, c[1].HardState.Commit);
    }

    [Fact]
    public void Followers_refuse_proposals_and_name_the_leader()
    {
        var c = new Cluster(3);
        c.Elect(1);
        var result = c.Propose(2, "a");
        Assert.False(result.IsAccepted);
        Assert.Equal(ProposalRejection.NotLeader, result.Rejection);
        Assert.Equal(1UL, result.LeaderHint);
    }

    [Fact]
    public void Nothing_commits_without_a_majority()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(1);
        c.Propose(1, "a");
        c.Stabilize();
        Assert.Empty(c.AppliedText(1));
    }

    [Fact]
    public void The_leader_counts_its_own_entry_only_once_it_is_durable()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Cut(1, 3);
        c.Propose(1, "a");
        var rd = c[1].Ready();
        Assert.True(rd.MessagesMayPrecedePersistence);
        // Deliver the Append to 2 and its answer back before the leader's own write is done.
        foreach (var m in rd.Messages.Where(m => m.To == 2)) c[2].Step(m);
        var followerReady = c[2].Ready();
        c.Storages[2].Append(followerReady.Entries);
        c[2].Advance();
        foreach (var m in followerReady.Messages) c[1].Step(m);
        // One durable copy (node 2) of three is not a majority: not committed yet.
        Assert.Equal(rd.Entries[0].Index - 1, c[1].HardState.Commit);
        c.Storages[1].Append(rd.Entries);
        c[1].Advance();
        Assert.Equal(rd.Entries[^1].Index, c[1].HardState.Commit);
    }

    [Fact]
    public void Proposals_between_readies_travel_as_one_batch()
    {
        var c = new Cluster(3);
        c.Elect(1);
        for (var i = 0; i < 100; i++) Assert.True(c.Propose(1, "p" + i).IsAccepted);
        var appends = c.Take(MessageType.Append);
        Assert.Equal(2, appends.Count);
        Assert.All(appends, m => Assert.Equal(100, m.Entries.Length));
        foreach (var m in appends) c.Deliver(m);
        c.Stabilize();
        Assert.Equal(100, c.Applied[3].Count);
    }

    [Fact]
    public void The_inflight_window_bounds_unacknowledged_appends()
    {
        var c = new Cluster(3, o => o with { MaxInflightMessages = 4, MaxSizePerMessage = 1 });
        c.Elect(1);
        for (var i = 0; i < 20; i++) c.Propose(1, "p" + i);
        var appends = c.Take(MessageType.Append);
        // One entry per message (tiny size limit), at most 4 in flight per follower.
        Assert.Equal(8, appends.Count);
        foreach (var m in appends) c.Deliver(m);
        c.Stabilize();
        Assert.Equal(20, c.Applied[2].Count);
    }

    [Fact]
    public void A_divergent_follower_is_repaired_with_few_round_trips()
    {
        var c = new Cluster(3, o => o with { CheckQuorum = false });
        c.Elect(1);
        c.Propose(1, "base");
        c.Stabilize();
        // Leader 1 appends 50 entries nobody else sees, then loses leadership.
        c.Isolate(1);
        for (var i = 0; i < 50; i++) c.Propose(1, "lost" + i);
        c.ProcessReadies();
        c.Pool.Clear();
        c.Elect(2);
        for (var i = 0; i < 50; i++) c.Propose(2, "kept" + i);
        c.Stabilize();
        // A third leader starts probing node 1 at its own (long) log end, far beyond where the logs agree.
        c.Elect(3);
        c.Heal();
        var rejections = 0;
        for (var round = 0; round < 20; round++)
        {
            // Heartbeats unpause the probe to node 1; count the rejected Appends on the way.
            c.Tick(3);
            c.ProcessReadies();
            rejections += c.Pool.Count(m => m.Type == MessageType.AppendResponse && m.Reject);
            var batch = c.Pool.ToList();
            c.Pool.Clear();
            foreach (var m in batch) c.Deliver(m);
        }
        c.Stabilize();
        Assert.Equal(c.AppliedText(3), c.AppliedText(1));
        Assert.DoesNotContain(c.AppliedText(1), s => s.StartsWith("lost", StringComparison.Ordinal));
        // The conflict hint skips the whole stale term at once instead of one index per round trip.
        Assert.InRange(rejections, 1, 3);
    }

    [Fact]
    public void Entries_of_an_earlier_term_commit_only_with_an_entry_of_the_current_term()
    {
        // Raft Figure 8: counting replicas alone must not commit an old-term entry.
        var c = new Cluster(3, o => o with { PreVote = false, CheckQuorum = false });
        c.Elect(1);
        var committedBefore = c[1].HardState.Commit;
        c.Isolate(1);
        c.Propose(1, "old");
        c.ProcessReadies();
        var oldAppend = c.Pool.Single(m => m.Type == MessageType.Append && m.To == 2);
        c.Pool.Clear();
        c[2].Step(oldAppend);
        c.ProcessReadies();
        c.Pool.Clear();

        // Node 2 wins term 2 with node 3's vote; node 3 never saw "old".
        c[2].Campaign();
        c.ProcessReadies();
        c[3].Step(c.Pool.Single(m => m.Type == MessageType.Vote && m.To == 3));
        c.Pool.Clear();
        c.ProcessReadies();
        c[2].Step(c.Pool.Single(m => m.Type == MessageType.VoteResponse));
        c.Pool.Clear();
        Assert.Equal(StateRole.Leader, c[2].SoftState.Role);
        c.ProcessReadies();
        c.Pool.Clear();

        // Node 3 acknowledges the old-term entry (index committedBefore + 1) but not the new no-op yet:
        // a majority holds it, yet it must not commit.
        var oldIndex = committedBefore + 1;
        c[2].Step(new Message { Type = MessageType.AppendResponse, From = 3, To = 2, Term = c[2].HardState.Term, Index = oldIndex });
        Assert.Equal(committedBefore, c[2].HardState.Commit);

        // Once the no-op of the current term is acknowledged, both commit together.
        c[2].Step(new Message { Type = MessageType.AppendResponse, From = 3, To = 2, Term = c[2].HardState.Term, Index = oldIndex + 1 });
        Assert.Equal(oldIndex + 1, c[2].HardState.Commit);
    }

    [Fact]
    public void A_restarted_replica_recovers_its_term_vote_and_log()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Propose(1, "a");
        c.Stabilize();
        var before = c[2].HardState;
        c.Restart(2);
        Assert.Equal(before.Term, c[2].HardState.Term);
        Assert.Equal(before.Vote, c[2].HardState.Vote);
        c.Stabilize();
        Assert.Equal(["a"], c.AppliedText(2));
    }

    [Fact]
    public void Back_pressure_refuses_proposals_beyond_the_uncommitted_limit()
    {
        var c = new Cluster(3, o => o with { MaxUncommittedEntriesSize = 10 });
        c.Elect(1);
        c.Isolate(1);
        Assert.True(c.Propose(1, "12345678").IsAccepted);
        Assert.Equal(ProposalRejection.TooManyUncommitted, c.Propose(1, "12345678").Rejection);
    }
}
