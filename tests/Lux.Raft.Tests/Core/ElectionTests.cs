namespace Lux.Raft.Tests.Core;

/// <summary>Leader election (Raft §5.2), pre-vote (thesis §9.6) and check-quorum (thesis §6.2).</summary>
public class ElectionTests
{
    [Fact]
    public void Single_voter_becomes_leader_on_its_own()
    {
        var c = new Cluster(1);
        c.Elect(1);
        Assert.Equal(1UL, c[1].HardState.Term);
    }

    [Fact]
    public void An_election_timeout_elects_exactly_one_leader()
    {
        var c = new Cluster(3);
        c.TickAll(25);
        var leaders = c.Ids.Where(id => c[id].SoftState.Role == StateRole.Leader).ToList();
        Assert.Single(leaders);
        Assert.All(c.Ids, id => Assert.Equal(leaders[0], c[id].SoftState.Leader));
    }

    [Fact]
    public void Randomized_timeouts_depend_only_on_the_seed()
    {
        static ulong FirstLeader(ulong seed)
        {
            var c = new Cluster(5, seed: seed);
            c.TickAll(30);
            return c.Leader!.Value;
        }
        Assert.Equal(FirstLeader(42), FirstLeader(42));
        Assert.Equal(FirstLeader(9), FirstLeader(9));
    }

    [Fact]
    public void A_candidate_with_a_shorter_log_cannot_win()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(3);
        c.Propose(1, "x");
        c.Stabilize();
        c.Heal();
        // Node 3 missed "x"; its vote requests carry an older log and are refused (Raft §5.4.1).
        c[3].Campaign();
        c.Stabilize();
        Assert.NotEqual(StateRole.Leader, c[3].SoftState.Role);
        Assert.Contains("x", c.AppliedText(1));
    }

    [Fact]
    public void Pre_vote_keeps_a_rejoining_replica_from_raising_the_term()
    {
        var c = new Cluster(3);
        c.Elect(1);
        var term = c[1].HardState.Term;
        c.Isolate(3);
        c.TickAll(50);
        // The isolated replica kept pre-campaigning but never raised its term.
        Assert.Equal(term, c[3].HardState.Term);
        c.Heal();
        c.TickAll(5);
        Assert.Equal(StateRole.Leader, c[1].SoftState.Role);
        Assert.Equal(term, c[1].HardState.Term);
    }

    [Fact]
    public void Without_pre_vote_a_rejoining_replica_disrupts_the_leader()
    {
        var c = new Cluster(3, o => o with { PreVote = false, CheckQuorum = false });
        c.Elect(1);
        var term = c[1].HardState.Term;
        c.Isolate(3);
        c.TickAll(50);
        Assert.True(c[3].HardState.Term > term);
        c.Heal();
        c.TickAll(30);
        // The leader hears the higher term and steps down: the disruption pre-vote exists to prevent.
        Assert.True(c[1].HardState.Term > term);
    }

    [Fact]
    public void Check_quorum_makes_an_isolated_leader_step_down()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(1);
        for (var i = 0; i < 21; i++) c.Tick(1);
        c.ProcessReadies();
        Assert.Equal(StateRole.Follower, c[1].SoftState.Role);
    }

    [Fact]
    public void Followers_that_hear_a_leader_ignore_vote_requests()
    {
        var c = new Cluster(3, o => o with { PreVote = false });
        c.Elect(1);
        var term = c[1].HardState.Term;
        // Node 3 is cut from the leader only, so it times out and campaigns while 2 still hears the leader.
        c.Cut(1, 3);
        for (var i = 0; i < 25; i++) c.Tick(3);
        c.Stabilize();
        Assert.Equal(term, c[2].HardState.Term);
        Assert.Equal(StateRole.Leader, c[1].SoftState.Role);
    }

    [Fact]
    public void A_vote_is_persisted_before_the_response_is_sent()
    {
        var c = new Cluster(3, o => o with { PreVote = false });
        c[1].Campaign();
        c.ProcessReadies();
        var requests = c.Pool.Where(m => m.Type == MessageType.Vote).ToList();
        c.Pool.Clear();
        c.Deliver(requests.Single(m => m.To == 2));
        var rd = c[2].Ready();
        Assert.Equal(1UL, rd.HardState!.Value.Vote);
        Assert.True(rd.MustSync);
        Assert.False(rd.MessagesMayPrecedePersistence);
        Assert.Contains(rd.Messages, m => m.Type == MessageType.VoteResponse && !m.Reject);
        c[2].Advance();
    }
}
