using Lux.Raft.Simulation.Linearizability;
using Xunit.Abstractions;

namespace Lux.Raft.Tests.Linearizability;

public sealed class SearchBudgetTests(ITestOutputHelper output)
{
    /// <summary>
    /// <paramref name="writesPerValue"/> Puts of "a" and as many of "b", all concurrent, while one client reads the key
    /// again and again, seeing a and b alternately (b first if <paramref name="bFirst"/>). Every read needs a fresh write
    /// of its value, so this is linearizable iff there are at most twice as many reads as writes per value. Which of the
    /// identical writes serves which read makes no difference, but the search cannot know that, and the number of
    /// configurations it may visit grows exponentially with the number of writes.
    /// </summary>
    private static IReadOnlyList<Operation> AlternatingReads(int writesPerValue, int reads, bool bFirst = false)
    {
        var history = new KvHistoryBuilder();
        for (var w = 0; w < writesPerValue; w++)
        {
            history.Put(w, "x", "a", w, 100_000).Put(writesPerValue + w, "x", "b", w, 100_000);
        }

        for (var r = 0; r < reads; r++)
        {
            history.Get(1000, "x", (r % 2 == 0) != bFirst ? "a" : "b", 1000 + (10 * r), 1005 + (10 * r));
        }

        return history.Operations;
    }

    [Fact]
    public void Tiny_budget_on_a_hard_violation_gives_unknown()
    {
        var result = LinearizabilityChecker.CheckKv(AlternatingReads(10, 21), maxStepsPerKey: 10_000);

        output.WriteLine(result.Explanation);
        Assert.Equal(CheckOutcome.Unknown, result.Outcome);
        Assert.Equal("x", result.Key);
    }

    [Fact]
    public void Tiny_budget_on_a_hard_linearizable_history_gives_unknown()
    {
        var result = LinearizabilityChecker.CheckKv(AlternatingReads(10, 20, bFirst: true), maxStepsPerKey: 10_000);

        output.WriteLine(result.Explanation);
        Assert.Equal(CheckOutcome.Unknown, result.Outcome);
    }

    [Fact]
    public void Enough_budget_on_the_same_shape_gives_the_right_verdicts()
    {
        Assert.Equal(CheckOutcome.NotLinearizable, LinearizabilityChecker.CheckKv(AlternatingReads(4, 9)).Outcome);
        Assert.Equal(CheckOutcome.Linearizable, LinearizabilityChecker.CheckKv(AlternatingReads(4, 8)).Outcome);
        Assert.Equal(CheckOutcome.Linearizable, LinearizabilityChecker.CheckKv(AlternatingReads(4, 8, bFirst: true)).Outcome);
    }

    [Fact]
    public void Read_of_a_value_nobody_writes_needs_no_search()
    {
        var history = new KvHistoryBuilder();
        for (var w = 0; w < 30; w++)
        {
            history.Put(w, "x", "w" + w, w, 1000);
        }

        history.Get(99, "x", "nobody wrote this", 2000, 2010);

        Assert.Equal(CheckOutcome.NotLinearizable, LinearizabilityChecker.CheckKv(history.Operations, maxStepsPerKey: 0).Outcome);
    }

    [Fact]
    public void Budget_changes_unknown_into_a_verdict_but_never_into_a_wrong_one()
    {
        const int seed = 77;
        output.WriteLine($"seed {seed}");
        var options = new RandomKvHistory.Options { Keys = 1, Clients = 8, OperationsPerClient = 15, ReusedValueRate = 0.3 };
        var good = RandomKvHistory.Generate(seed, options);
        var bad = new List<Operation>(good);
        Assert.True(RandomKvHistory.ReadOverwrittenValue(bad, new Random(seed)) >= 0);

        var seen = new HashSet<CheckOutcome>();
        foreach (var budget in new long[] { 0, 1, 2, 5, 10, 30, 100, 300, 1_000, 3_000, 10_000, 100_000 })
        {
            var onGood = LinearizabilityChecker.CheckKv(good, budget).Outcome;
            var onBad = LinearizabilityChecker.CheckKv(bad, budget).Outcome;
            output.WriteLine($"budget {budget}: {onGood} / {onBad}");
            Assert.NotEqual(CheckOutcome.NotLinearizable, onGood);
            Assert.NotEqual(CheckOutcome.Linearizable, onBad);
            seen.Add(onGood);
            seen.Add(onBad);
        }

        Assert.Contains(CheckOutcome.Unknown, seen);
        Assert.Contains(CheckOutcome.Linearizable, seen);
        Assert.Contains(CheckOutcome.NotLinearizable, seen);
    }
}
