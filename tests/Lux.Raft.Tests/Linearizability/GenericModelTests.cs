using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Tests.Linearizability;

/// <summary>The search is not tied to the key-value model: a fetch-and-add counter, whose output is the value before the add.</summary>
public sealed class GenericModelTests
{
    private readonly struct FetchAndAdd : IModel<long, long, long>
    {
        public long Init() => 0;

        public bool Step(long state, in long input, in long output, out long next)
        {
            next = state + input;
            return output == state;
        }

        public bool StepUnknown(long state, in long input, out long next)
        {
            next = state + input;
            return true;
        }

        public bool IsReadOnly(in long input, in long output) => input == 0;

        public bool Equals(long a, long b) => a == b;

        public int Hash(long state) => state.GetHashCode();
    }

    private static ModelOperation<long, long> Add(long delta, long saw, long call, long ret) => new(delta, saw, true, call, ret);

    private static ModelOperation<long, long> AddUnknown(long delta, long call) => new(delta, 0, false, call, long.MaxValue);

    private static SearchResult Check(params ModelOperation<long, long>[] history)
        => LinearizabilitySearch.Check<FetchAndAdd, long, long, long>(default, history, 100_000);

    [Fact]
    public void Concurrent_adds_see_each_other_in_some_order()
    {
        var result = Check(Add(1, 1, 0, 10), Add(1, 0, 0, 10), Add(5, 2, 20, 30));

        Assert.Equal(CheckOutcome.Linearizable, result.Outcome);
        Assert.Equal([1, 0, 2], result.Linearization);
    }

    [Fact]
    public void Two_adds_that_both_saw_zero_are_a_violation()
        => Assert.Equal(CheckOutcome.NotLinearizable, Check(Add(1, 0, 0, 10), Add(1, 0, 5, 15)).Outcome);

    [Fact]
    public void Unknown_add_is_counted_only_if_needed()
    {
        Assert.Equal(CheckOutcome.Linearizable, Check(AddUnknown(3, 0), Add(1, 3, 10, 20)).Outcome);
        Assert.Equal(CheckOutcome.Linearizable, Check(AddUnknown(3, 0), Add(1, 0, 10, 20)).Outcome);
        Assert.Equal(CheckOutcome.NotLinearizable, Check(AddUnknown(3, 0), Add(1, 2, 10, 20)).Outcome);
    }

    [Fact]
    public void Failed_search_reports_the_longest_prefix_when_asked()
    {
        ModelOperation<long, long>[] history = [Add(1, 0, 0, 10), Add(1, 1, 20, 30), Add(1, 7, 40, 50)];
        var result = LinearizabilitySearch.Check<FetchAndAdd, long, long, long>(default, history, 100_000, recordLongest: true);

        Assert.Equal(CheckOutcome.NotLinearizable, result.Outcome);
        Assert.Equal([0, 1], result.Linearization);
    }
}
