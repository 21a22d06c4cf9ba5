using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;
using Lux.Samples.KeyValueStore;
using Xunit.Abstractions;

namespace Lux.Samples.Tests;

/// <summary>The main job's own code (workload, leader move, kill, pause, verification) on an in-process cluster, so it cannot rot.</summary>
public sealed class KeyValueStoreSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_failover_demo_moves_the_leader_off_the_primary_kills_it_restarts_it_and_loses_no_acknowledged_write()
    {
        await using var cluster = await SampleCluster.StartAsync();
        var options = new DemoOptions
        {
            BeforeKill = TimeSpan.Zero,
            MinWritesBeforeKill = 60,
            AfterKill = TimeSpan.Zero,
            MinWritesAfterKill = 60,
            StepTimeout = TimeSpan.FromSeconds(60),
            Workload = new WorkloadOptions { Writers = 4, KeysPerWriter = 8, DrainTimeout = TimeSpan.FromSeconds(30) },
        };
        var partition = cluster.Client.GetRaftPartition(options.PartitionId);
        await cluster.Client.GetRaftCatalog().CreatePartitionAsync(options.PartitionId, KeyValueStateMachine.DefaultName, 3);
        // Put the leader where the demo must not leave it, so its leadership transfer runs too.
        await partition.TransferLeadershipAsync(cluster.PrimarySilo);
        using var log = new TestOutputWriter(output);

        var result = await new FailoverDemo(cluster, options, log).RunAsync(CancellationToken.None);
        FailoverDemo.PrintSummary(result, log);

        Assert.NotEqual(cluster.PrimarySilo, result.LeaderBefore);
        Assert.NotEqual(result.LeaderBefore, result.LeaderAfter);
        Assert.True(result.Terms.After > result.Terms.Before, $"term {result.Terms.Before} -> {result.Terms.After}");
        Assert.NotNull(result.Pause);
        Assert.NotNull(result.CaughtUp);
        Assert.True(result.Verification.AcknowledgedWrites >= 120, $"{result.Verification.AcknowledgedWrites} writes acknowledged");
        Assert.Equal(32, result.Verification.KeysChecked);
        Assert.Empty(result.Verification.Lost);
        Assert.Equal(0, result.Reads.Stale);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Verification_reports_a_key_whose_acknowledged_value_was_overwritten_behind_the_workloads_back()
    {
        await using var cluster = await SampleCluster.StartAsync(silos: 1);
        await cluster.Client.GetRaftCatalog().CreatePartitionAsync("kv-check", KeyValueStateMachine.DefaultName, 1);
        var partition = cluster.Client.GetRaftPartition("kv-check");
        var workload = new KeyValueWorkload(partition, new WorkloadOptions { Writers = 2, KeysPerWriter = 4 });
        using var stop = new CancellationTokenSource();
        var run = workload.RunAsync(stop.Token);
        await Eventually(() => workload.AcknowledgedWrites >= 20);
        await stop.CancelAsync();
        await run;

        await partition.ProposeAsync(new KeyValuePut { Key = "w00-k000", Value = "not what the workload wrote" });
        var result = await workload.VerifyAsync();

        Assert.Equal(8, result.KeysChecked);
        var lost = Assert.Single(result.Lost);
        Assert.StartsWith("w00-k000:", lost, StringComparison.Ordinal);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 60 s");
            await timer.WaitForNextTickAsync();
        }
    }
}
