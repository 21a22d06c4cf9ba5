using Lux.Orleans.Grains;
using Lux.Orleans.Placement;
using Lux.Orleans.Replication;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Lux.Orleans.Tests;

/// <summary>
/// The router gives up on an attempt at a leader as soon as the silo learns the answer no longer matters (its local
/// replica names another leader, or the peer channel lost the target's silo), not when the attempt's time limit
/// passes. Every wait here is on a signal; the attempt limits are set far beyond the tests' own deadlines, so a test
/// that passes cannot have been rescued by a timeout.
/// </summary>
public sealed class FastFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;

    [Fact]
    public async Task An_attempt_is_abandoned_when_the_local_replica_names_another_leader()
    {
        var view = new LeaderView("silo2", 1);
        var call = new TaskCompletionSource<ReplicaReply>();
        var attempt = RoutingAttempt.RunAsync(call.Task, "silo2", view, new TaskCompletionSource().Task, Forever, CancellationToken.None);

        // An election passes through a view without a leader, and a view naming the target itself changes nothing.
        var electing = new LeaderView(null, 2);
        view.Supersede(electing);
        var sameLeader = new LeaderView("silo2", 2);
        electing.Supersede(sameLeader);
        await Task.Yield();
        Assert.False(attempt.IsCompleted);

        sameLeader.Supersede(new LeaderView("silo3", 3));
        var outcome = await attempt.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(AttemptEnd.Abandoned, outcome.End);
        Assert.Equal("silo3", outcome.NextLeader);
        Assert.Null(outcome.Reply);
        Assert.False(call.Task.IsCompleted);
    }

    [Fact]
    public async Task An_attempt_is_abandoned_when_the_peer_channel_loses_the_targets_silo()
    {
        var call = new TaskCompletionSource<ReplicaReply>();
        var lost = new TaskCompletionSource();
        var attempt = RoutingAttempt.RunAsync(call.Task, "silo2", null, lost.Task, Forever, CancellationToken.None);
        await Task.Yield();
        Assert.False(attempt.IsCompleted);

        lost.SetResult();
        var outcome = await attempt.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(AttemptEnd.Abandoned, outcome.End);
        Assert.Null(outcome.NextLeader);
    }

    [Fact]
    public async Task An_answer_that_comes_first_is_returned_and_the_time_limit_still_applies()
    {
        var view = new LeaderView("silo2", 1);
        var call = new TaskCompletionSource<ReplicaReply>();
        var attempt = RoutingAttempt.RunAsync(call.Task, "silo2", view, new TaskCompletionSource().Task, Forever, CancellationToken.None);
        call.SetResult(ReplicaReply.Ok([7]));
        var outcome = await attempt.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(AttemptEnd.Answered, outcome.End);
        Assert.Equal([7], outcome.Reply!.Payload);

        var silent = new TaskCompletionSource<ReplicaReply>();
        await Assert.ThrowsAsync<TimeoutException>(() =>
            RoutingAttempt.RunAsync(silent.Task, "silo2", view, new TaskCompletionSource().Task, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void Leader_views_chain_to_the_latest()
    {
        var first = new LeaderView("silo1", 1);
        Assert.Same(first, first.Latest);
        var second = new LeaderView(null, 2);
        first.Supersede(second);
        var third = new LeaderView("silo2", 2);
        second.Supersede(third);
        Assert.True(first.Changed.IsCompleted);
        Assert.False(third.Changed.IsCompleted);
        Assert.Same(third, first.Latest);
    }

    /// <summary>
    /// The leader's peer channel is stopped: it cannot replicate, and (check-quorum off) it never steps down, so a
    /// proposal it accepts is never answered. Attempts may take ten minutes. A proposal made through the router of a
    /// follower's silo must still be acknowledged, by the leader the survivors elect, well before Orleans' own
    /// 30 s response timeout could have ended the attempt.
    /// </summary>
    [Fact]
    public async Task A_proposal_sent_to_a_leader_that_went_silent_is_retried_at_the_new_leader()
    {
        var cluster = await LuxTestCluster.StartAsync(3, configure: lux =>
        {
            lux.CheckQuorum = false;
            lux.AttemptTimeout = TimeSpan.FromMinutes(10);
            lux.OperationTimeout = TimeSpan.FromMinutes(10);
        });
        try
        {
            await cluster.CreateAsync("silent");
            var partition = cluster.Partition("silent");
            await partition.ProposeAsync(new KvPut { Key = "warm-up", Value = "1" });
            var leader = (await partition.GetStatusAsync()).Leader!;
            var follower = cluster.Cluster.Silos.Select(s => s.Name).First(s => s != leader);
            var followerHost = Host(cluster, follower);
            var proposer = cluster.Client.GetGrain<IProposerGrain>(follower);
            // The follower's router learns the leader and sends to it from now on.
            Assert.Equal("1", (await proposer.ProposeAsync("silent", new KvPut { Key = "warm-up", Value = "2" }))?.Value);
            output.WriteLine($"leader {leader}; proposing through the router on {follower}");

            var lost = followerHost.PeerLost(leader);
            await Host(cluster, leader).Transport.StopAsync(CancellationToken.None);
            var proposal = proposer.ProposeAsync("silent", new KvPut { Key = "after", Value = "x" });
            await lost.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(followerHost.IsSuspected(leader));

            var result = await proposal.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Null(result?.Value);
            var newLeader = followerHost.Find("silent")!.Leadership.Leader;
            output.WriteLine($"acknowledged; {follower} now sees {newLeader} lead");
            Assert.NotNull(newLeader);
            Assert.NotEqual(leader, newLeader);
            Assert.Equal("x", (await proposer.ReadAsync("silent", new KvQuery { Key = "after" }))?.Value);

            // Lux's grains are found without asking any other silo: a pinned grain where its key says, a router nowhere.
            var pinned = new SiloPinnedGrainDirectory(cluster.Silo(follower).ServiceProvider.GetRequiredService<IClusterMembershipService>());
            var address = await pinned.Lookup(cluster.Client.GetGrain<IRaftReplicaGrain>($"silent@{newLeader}").GetGrainId());
            Assert.Equal(cluster.Silo(newLeader).SiloAddress, address?.SiloAddress);
            Assert.Null(await new LocalWorkerGrainDirectory().Lookup(partition.GetGrainId()));
            // The silent leader still holds the abandoned attempt, which would hold up a graceful shutdown of its silo.
            await cluster.Cluster.KillSiloAsync(cluster.Silo(leader));
            await LuxTestCluster.Eventually(async () => await pinned.Lookup(cluster.Client.GetGrain<IRaftReplicaGrain>($"silent@{leader}").GetGrainId()) is null,
                TimeSpan.FromSeconds(60), "no address for a grain pinned to a silo Orleans declared dead");
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    private static RaftReplicaHost Host(LuxTestCluster cluster, string silo) =>
        cluster.Silo(silo).ServiceProvider.GetRequiredService<RaftReplicaHost>();
}

/// <summary>Calls a partition from a chosen silo, so the request goes through that silo's router.</summary>
[Alias("Lux.Orleans.Tests.IProposerGrain")]
public interface IProposerGrain : IGrainWithStringKey
{
    Task<KvResult?> ProposeAsync(string partition, KvPut put);

    Task<KvResult?> ReadAsync(string partition, KvQuery query);
}

[SiloPinnedPlacement]
public sealed class ProposerGrain : Grain, IProposerGrain
{
    public Task<KvResult?> ProposeAsync(string partition, KvPut put) => GrainFactory.GetRaftPartition(partition).ProposeAsync<KvResult?>(put);

    public Task<KvResult?> ReadAsync(string partition, KvQuery query) => GrainFactory.GetRaftPartition(partition).ReadAsync<KvResult?>(query);
}
