using System.Text;

namespace Lux.Raft.Tests.Core;

/// <summary>ReadIndex (thesis §6.4), leader lease (§6.4.1) and leadership transfer (§3.10).</summary>
public class ReadAndTransferTests
{
    private static ReadOnlyMemory<byte> Ctx(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void ReadIndex_on_the_leader_is_confirmed_by_a_heartbeat_quorum()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Propose(1, "a");
        c.Stabilize();
        c[1].ReadIndex(Ctx("r1"));
        c.ProcessReadies();
        Assert.False(c.Reads.ContainsKey(1));
        var heartbeats = c.Take(MessageType.Heartbeat);
        Assert.Equal(2, heartbeats.Count);
        Assert.All(heartbeats, h => Assert.Equal("r1", Encoding.UTF8.GetString(h.Context.Span)));
        foreach (var h in heartbeats) c.Deliver(h);
        c.Stabilize();
        var read = Assert.Single(c.Reads[1]);
        Assert.Equal("r1", Encoding.UTF8.GetString(read.RequestContext.Span));
        Assert.Equal(c[1].HardState.Commit, read.Index);
    }

    [Fact]
    public void An_isolated_leader_cannot_confirm_a_read()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(1);
        c[1].ReadIndex(Ctx("r"));
        c.Stabilize();
        Assert.False(c.Reads.ContainsKey(1));
    }

    [Fact]
    public void ReadIndex_on_a_follower_is_forwarded_to_the_leader()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Propose(1, "a");
        c.Stabilize();
        c[2].ReadIndex(Ctx("f"));
        c.Stabilize();
        var read = Assert.Single(c.Reads[2]);
        Assert.Equal(c[1].HardState.Commit, read.Index);
    }

    [Fact]
    public void A_new_leader_answers_reads_only_after_committing_in_its_term()
    {
        var c = new Cluster(3, o => o with { PreVote = false });
        c[1].Campaign();
        c.ProcessReadies();
        foreach (var m in c.Take(MessageType.Vote)) c.Deliver(m);
        c.ProcessReadies();
        foreach (var m in c.Take(MessageType.VoteResponse)) c.Deliver(m);
        Assert.Equal(StateRole.Leader, c[1].SoftState.Role);
        c[1].ReadIndex(Ctx("early"));
        c.ProcessReadies();
        // No heartbeat carries the read yet: the no-op is not committed.
        Assert.DoesNotContain(c.Pool, m => m.Type == MessageType.Heartbeat && !m.Context.IsEmpty);
        c.Stabilize();
        Assert.Single(c.Reads[1]);
    }

    [Fact]
    public void Lease_reads_are_served_locally_while_the_lease_holds()
    {
        var c = new Cluster(3, o => o with { ReadOnlyOption = ReadOnlyOption.LeaseBased });
        c.Elect(1);
        c.TickAll(2);
        Assert.True(c[1].LeaseValid);
        c[1].ReadIndex(Ctx("lease"));
        c.ProcessReadies();
        Assert.Single(c.Reads[1]);
        c.Isolate(1);
        for (var i = 0; i < 10; i++) c.Tick(1);
        Assert.False(c[1].LeaseValid);
    }

    [Fact]
    public void A_restarted_follower_withholds_its_vote_until_any_lease_it_granted_has_run_out()
    {
        // Without the guard, 2 would forget that it acknowledged 1 a moment ago and help 3 win while 1 still serves
        // lease reads: two replicas answering reads, one of them stale.
        var c = new Cluster(3, o => o with { ReadOnlyOption = ReadOnlyOption.LeaseBased });
        c.Elect(1);
        c.TickAll(2);
        Assert.True(c[1].LeaseValid);
        c.Isolate(1);
        c.Restart(2);

        c[3].Campaign();
        c.Stabilize();
        Assert.NotEqual(StateRole.Leader, c[3].SoftState.Role);
        Assert.True(c[1].LeaseValid);

        var electionTimeout = 10;
        c.Tick(1, electionTimeout);
        c.Tick(2, electionTimeout);
        Assert.False(c[1].LeaseValid);
        c[3].Campaign();
        c.Stabilize();
        Assert.Equal(StateRole.Leader, c[3].SoftState.Role);
    }

    [Fact]
    public void Leadership_moves_to_a_caught_up_transferee()
    {
        var c = new Cluster(3);
        c.Elect(1);
        var term = c[1].HardState.Term;
        c[1].TransferLeadership(3);
        c.Stabilize();
        Assert.Equal(StateRole.Leader, c[3].SoftState.Role);
        Assert.Equal(term + 1, c[3].HardState.Term);
        Assert.Equal(StateRole.Follower, c[1].SoftState.Role);
    }

    [Fact]
    public void A_lagging_transferee_is_caught_up_first()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(3);
        for (var i = 0; i < 5; i++) c.Propose(1, "p" + i);
        c.Stabilize();
        c.Heal();
        c[1].TransferLeadership(3);
        c.Stabilize();
        Assert.Equal(StateRole.Leader, c[3].SoftState.Role);
        Assert.Equal(5, c.Applied[3].Count);
    }

    [Fact]
    public void Proposals_are_refused_during_a_transfer_and_resume_after_it_times_out()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(3);
        c[1].TransferLeadership(3);
        c.Stabilize();
        Assert.Equal(ProposalRejection.LeadershipTransferInProgress, c.Propose(1, "x").Rejection);
        for (var i = 0; i < 10; i++)
        {
            c.Tick(1);
            c.Tick(2);
            c.Stabilize();
        }
        Assert.Equal(StateRole.Leader, c[1].SoftState.Role);
        Assert.True(c.Propose(1, "x").IsAccepted);
    }

    [Fact]
    public void Transfer_to_a_non_member_is_ignored()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c[1].TransferLeadership(9);
        c.Stabilize();
        Assert.True(c.Propose(1, "x").IsAccepted);
    }
}
