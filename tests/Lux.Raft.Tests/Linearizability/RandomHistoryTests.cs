using Lux.Raft.Simulation.Linearizability;
using Xunit.Abstractions;

namespace Lux.Raft.Tests.Linearizability;

public sealed class RandomHistoryTests(ITestOutputHelper output)
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Histories_of_a_linearizable_store_pass_and_one_impossible_read_fails(int seed)
    {
        output.WriteLine($"seed {seed}");
        var history = RandomKvHistory.Generate(seed, new RandomKvHistory.Options());

        var clean = LinearizabilityChecker.CheckKv(history);
        output.WriteLine(clean.Explanation);
        Assert.True(clean.Outcome == CheckOutcome.Linearizable, clean.Explanation);

        var random = new Random(seed);
        var neverWritten = new List<Operation>(history);
        var target = RandomKvHistory.ReadNeverWrittenValue(neverWritten, random);
        var broken = LinearizabilityChecker.CheckKv(neverWritten);
        output.WriteLine($"read #{target} of a value never written:{Environment.NewLine}{broken.Explanation}");
        Assert.Equal(CheckOutcome.NotLinearizable, broken.Outcome);
        Assert.Equal(history[target].Input.Key, broken.Key);
        Assert.Contains($"#{target} ", broken.Explanation, StringComparison.Ordinal);

        var stale = new List<Operation>(history);
        var staleTarget = RandomKvHistory.ReadOverwrittenValue(stale, random);
        Assert.True(staleTarget >= 0, "the generated history should contain a write overwritten before some read");
        var staleResult = LinearizabilityChecker.CheckKv(stale);
        output.WriteLine($"read #{staleTarget} of an overwritten value:{Environment.NewLine}{staleResult.Explanation}");
        Assert.Equal(CheckOutcome.NotLinearizable, staleResult.Outcome);
        Assert.Equal(history[staleTarget].Input.Key, staleResult.Key);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Histories_with_reused_values_and_many_timeouts_pass(int seed)
    {
        output.WriteLine($"seed {seed}");
        var history = RandomKvHistory.Generate(seed, new RandomKvHistory.Options
        {
            Keys = 1,
            OperationsPerClient = 20,
            ReusedValueRate = 0.5,
            UnknownRate = 0.15,
        });

        var result = LinearizabilityChecker.CheckKv(history);
        output.WriteLine(result.Explanation);
        Assert.True(result.Outcome == CheckOutcome.Linearizable, result.Explanation);
    }

    [Fact]
    public void Long_single_key_history_with_twenty_clients_passes()
    {
        const int seed = 4242;
        output.WriteLine($"seed {seed}");
        var history = RandomKvHistory.Generate(seed, new RandomKvHistory.Options { Keys = 1, OperationsPerClient = 150 });

        var result = LinearizabilityChecker.CheckKv(history);
        output.WriteLine(result.Explanation);
        Assert.True(result.Outcome == CheckOutcome.Linearizable, result.Explanation);

        var random = new Random(seed);
        var broken = new List<Operation>(history);
        var target = RandomKvHistory.ReadOverwrittenValue(broken, random);
        Assert.True(target >= 0);
        var brokenResult = LinearizabilityChecker.CheckKv(broken);
        output.WriteLine(brokenResult.Explanation);
        Assert.Equal(CheckOutcome.NotLinearizable, brokenResult.Outcome);
    }
}
