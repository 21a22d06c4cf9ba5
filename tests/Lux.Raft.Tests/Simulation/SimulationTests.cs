using Lux.Raft.Simulation;
using Xunit.Abstractions;

namespace Lux.Raft.Tests.Simulation;

/// <summary>
/// The deterministic simulation with every fault on. 300 seeds of 2,000 steps run in six groups so they spread over
/// the cores: four with ReadIndex reads, two with lease reads under 5 % clock drift. A failure names its seed; replay it with
/// <c>dotnet run --project tests/Lux.Raft.Simulation -- --seeds 1 --seed S --trace</c>.
/// </summary>
public class SimulationTests(ITestOutputHelper output)
{
    public static TheoryData<int> Groups => new() { 0, 1, 2, 3, 4, 5 };

    [Theory]
    [MemberData(nameof(Groups))]
    public void Fifty_seeds_keep_every_invariant(int group)
    {
        var failures = new List<string>();
        long writes = 0, reads = 0;
        for (var i = 0; i < 50; i++)
        {
            var seed = (ulong)(group * 50 + i + 1);
            var lease = group >= 4;
            var result = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions
            {
                Seed = seed, Replicas = seed % 2 == 1 ? 3 : 5, Steps = 2000, LeaseReads = lease, ClockDrift = lease ? 0.05 : 0,
            });
            writes += result.Stats.WritesAcknowledged;
            reads += result.Stats.ReadsServed;
            if (!result.Ok) failures.Add($"seed {seed}: " + string.Join(" | ", result.Violations));
        }
        output.WriteLine($"seeds {group * 50 + 1}..{group * 50 + 50}: {writes} writes, {reads} reads acknowledged");
        Assert.True(writes > 0 && reads > 0, "the clients made no progress at all");
        Assert.Empty(failures);
    }

    [Fact]
    public void The_same_seed_replays_the_same_run()
    {
        var a = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions { Seed = 77, Steps = 800 });
        var b = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions { Seed = 77, Steps = 800 });
        Assert.Equal(a.Stats, b.Stats);
    }

    [Fact]
    public void A_host_that_acknowledges_before_syncing_is_caught()
    {
        // The checks have teeth: a broken host that treats writes as durable before they are loses commits on crashes.
        var caught = 0;
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var result = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions { Seed = seed, Steps = 800, UnsafeAcknowledgeBeforeSync = true });
            output.WriteLine($"seed {seed}: {result.Violations.FirstOrDefault()}");
            if (!result.Ok) caught++;
        }
        Assert.True(caught >= 3, $"only {caught} of 4 broken runs were caught");
    }

    [Fact]
    public void A_host_that_applies_retried_commands_again_is_caught()
    {
        // Retries are real: a host without the session table applies some commands twice, and the check sees it.
        var caught = 0;
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var result = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions { Seed = seed, Steps = 2000, UnsafeNoDeduplication = true });
            output.WriteLine($"seed {seed}: {result.Stats.WriteRetries} retries; {result.Violations.FirstOrDefault()}");
            if (result.Violations.Any(v => v.Contains("duplicate application"))) caught++;
        }
        Assert.True(caught >= 3, $"only {caught} of 4 broken runs were caught");
    }

    [Fact]
    public void Without_faults_every_write_is_acknowledged()
    {
        var result = global::Lux.Raft.Simulation.Simulation.Run(new SimulationOptions { Seed = 5, Steps = 500, Faults = false });
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Violations));
        Assert.Equal(0, result.Stats.WritesUnknown);
        Assert.True(result.Stats.WritesAcknowledged > 100);
    }
}
