using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Tests.Linearizability;

public sealed class LinearizabilityCheckerTests
{
    private static CheckResult Check(KvHistoryBuilder history, long budget = 5_000_000)
        => LinearizabilityChecker.CheckKv(history.Operations, budget);

    private static void AssertLinearizable(KvHistoryBuilder history)
    {
        var result = Check(history);
        Assert.True(result.Outcome == CheckOutcome.Linearizable, result.Explanation);
        Assert.Null(result.Key);
    }

    private static CheckResult AssertViolation(KvHistoryBuilder history, string key)
    {
        var result = Check(history);
        Assert.True(result.Outcome == CheckOutcome.NotLinearizable, result.Explanation);
        Assert.Equal(key, result.Key);
        return result;
    }

    [Fact]
    public void Empty_history_is_linearizable()
        => AssertLinearizable(new KvHistoryBuilder());

    [Fact]
    public void Sequential_history_is_linearizable()
        => AssertLinearizable(new KvHistoryBuilder()
            .Get(1, "x", null, 0, 5)
            .Put(1, "x", "a", 10, 20)
            .Get(2, "x", "a", 30, 40)
            .Cas(3, "x", "a", "b", true, 50, 60)
            .Cas(1, "x", "a", "c", false, 70, 80)
            .Get(2, "x", "b", 90, 100)
            .Put(3, "x", "d", 110, 120)
            .Get(1, "x", "d", 130, 140));

    [Fact]
    public void Stale_read_after_a_completed_write_is_a_violation()
    {
        var result = AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Put(1, "x", "b", 20, 30)
                .Get(2, "x", "a", 40, 50),
            "x");

        Assert.Contains("#2 client 2: Get: read \"a\" [40, 50]", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_readers_seeing_concurrent_writes_in_opposite_orders_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "1", 0, 100)
                .Put(2, "x", "2", 0, 100)
                .Get(3, "x", "1", 10, 20)
                .Get(3, "x", "2", 30, 40)
                .Get(4, "x", "2", 10, 20)
                .Get(4, "x", "1", 30, 40),
            "x");

    [Fact]
    public void Readers_seeing_concurrent_writes_in_the_same_order_is_linearizable()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "1", 0, 100)
            .Put(2, "x", "2", 0, 100)
            .Get(3, "x", "1", 10, 20)
            .Get(3, "x", "2", 30, 40)
            .Get(4, "x", "1", 10, 20)
            .Get(4, "x", "2", 30, 40));

    [Fact]
    public void Read_of_a_value_never_written_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Get(2, "x", "zzz", 5, 15),
            "x");

    [Fact]
    public void Cas_that_succeeds_on_a_wrong_expected_value_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Cas(2, "x", "b", "c", true, 20, 30),
            "x");

    [Fact]
    public void Cas_that_fails_although_its_expected_value_was_there_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Cas(2, "x", "a", "c", false, 20, 30),
            "x");

    [Fact]
    public void Concurrent_writes_are_linearized_in_the_only_order_the_later_read_allows()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "first-called", 0, 50)
            .Put(2, "x", "second-called", 1, 50)
            .Get(3, "x", "first-called", 60, 70));

    [Fact]
    public void Concurrent_cas_pair_is_linearizable_only_with_the_winner_first()
        => AssertLinearizable(new KvHistoryBuilder()
            .Cas(1, "x", null, "a", false, 0, 50)
            .Cas(2, "x", null, "b", true, 1, 50)
            .Get(3, "x", "b", 60, 70));

    [Fact]
    public void Concurrent_cas_pair_that_both_swap_from_the_same_value_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Cas(1, "x", null, "a", true, 0, 50)
                .Cas(2, "x", null, "b", true, 1, 50),
            "x");

    [Fact]
    public void A_read_overlapping_a_write_may_see_either_value()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(1, "x", "b", 20, 40)
            .Get(2, "x", "a", 25, 30)
            .Get(3, "x", "b", 26, 31)
            .Get(2, "x", "b", 35, 45));

    [Fact]
    public void A_read_that_sees_a_write_before_the_write_was_called_is_a_violation()
        => AssertViolation(
            new KvHistoryBuilder()
                .Get(2, "x", "a", 0, 10)
                .Put(1, "x", "a", 20, 30),
            "x");

    [Fact]
    public void Operations_touching_at_one_tick_are_concurrent()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Get(2, "x", null, 10, 20));

    [Fact]
    public void Operations_one_tick_apart_are_ordered()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Get(2, "x", null, 11, 20),
            "x");

    [Fact]
    public void A_write_touching_the_end_of_another_may_still_go_first()
    {
        AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "v", 0, 5)
            .Put(2, "x", "u", 5, 6)
            .Get(3, "x", "v", 7, 8));

        AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "v", 0, 5)
                .Put(2, "x", "u", 6, 7)
                .Get(3, "x", "v", 8, 9),
            "x");
    }

    [Fact]
    public void A_read_may_see_a_write_called_at_the_tick_it_returns()
    {
        AssertLinearizable(new KvHistoryBuilder()
            .Get(1, "x", "v", 0, 10)
            .Put(2, "x", "v", 10, 20));

        AssertViolation(
            new KvHistoryBuilder()
                .Get(1, "x", "v", 0, 10)
                .Put(2, "x", "v", 11, 20),
            "x");
    }

    [Fact]
    public void Unknown_put_that_a_later_read_sees_must_have_taken_effect()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .PutUnknown(2, "x", "b", 20)
            .Get(3, "x", "b", 30, 40));

    [Fact]
    public void Unknown_put_that_nobody_sees_need_not_take_effect()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .PutUnknown(2, "x", "b", 20)
            .Get(3, "x", "a", 30, 40)
            .Get(3, "x", "a", 1000, 1010));

    [Fact]
    public void Unknown_put_may_take_effect_long_after_its_client_gave_up()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .PutUnknown(2, "x", "b", 20)
            .Get(3, "x", "a", 30, 40)
            .Get(3, "x", "b", 1000, 1010));

    [Fact]
    public void Unknown_put_takes_effect_at_most_once()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .PutUnknown(2, "x", "b", 20)
                .Get(3, "x", "b", 30, 40)
                .Put(1, "x", "a", 50, 60)
                .Get(3, "x", "b", 70, 80),
            "x");

    [Fact]
    public void Unknown_put_cannot_take_effect_before_it_was_called()
        => AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .Get(3, "x", "b", 12, 18)
                .PutUnknown(2, "x", "b", 20),
            "x");

    [Fact]
    public void Unknown_cas_takes_effect_only_if_its_expected_value_was_there()
    {
        AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .CasUnknown(2, "x", "a", "b", 20)
            .Get(3, "x", "b", 30, 40));

        AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "x", "a", 0, 10)
                .CasUnknown(2, "x", "q", "b", 20)
                .Get(3, "x", "b", 30, 40),
            "x");
    }

    [Fact]
    public void Chain_of_unknown_cas_can_explain_a_read()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .CasUnknown(2, "x", "b", "c", 15)
            .PutUnknown(4, "x", "b", 20)
            .Get(3, "x", "c", 30, 40));

    [Fact]
    public void Unknown_write_can_explain_a_failed_cas()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .PutUnknown(2, "x", "b", 20)
            .Cas(3, "x", "a", "c", false, 30, 40));

    [Fact]
    public void Unknown_read_constrains_nothing()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .GetUnknown(2, "x", 5)
            .Get(3, "x", "a", 30, 40));

    [Fact]
    public void Only_the_violating_key_is_reported()
    {
        var result = AssertViolation(
            new KvHistoryBuilder()
                .Put(1, "a", "1", 0, 10)
                .Put(2, "b", "1", 0, 10)
                .Put(3, "c", "1", 0, 10)
                .Put(1, "a", "2", 20, 30)
                .Put(2, "b", "2", 20, 30)
                .Put(3, "c", "2", 20, 30)
                .Get(1, "a", "2", 40, 50)
                .Get(2, "b", "1", 40, 50)
                .Get(3, "c", "2", 40, 50),
            "b");

        Assert.StartsWith("Key \"b\"", result.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain("\"a\"", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Operations_on_other_keys_do_not_order_a_key()
        => AssertLinearizable(new KvHistoryBuilder()
            .Put(1, "a", "1", 0, 10)
            .Get(2, "b", null, 20, 30)
            .Put(2, "b", "1", 40, 50)
            .Get(1, "a", "1", 60, 70));

    [Fact]
    public void Explanation_names_the_smallest_failing_prefix_and_the_window()
    {
        var history = new KvHistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 20, 30)
            .Get(3, "x", "b", 35, 45)
            .Get(4, "x", "a", 50, 60)
            .Put(1, "x", "c", 70, 80)
            .Get(2, "x", "c", 90, 100);

        var result = AssertViolation(history, "x");

        Assert.Contains("once operation #3 returns at t=60", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("smallest failing prefix of the key's history has 4 operations", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("Longest linearizable prefix found: 3 operations", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("#2 client 3: Get: read \"b\" [35, 45] => \"b\"", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("None of the 1 remaining operations can come next", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("#3 client 4: Get: read \"a\" [50, 60]", result.Explanation, StringComparison.Ordinal);
        Assert.Contains(
            "Operation #3 reads \"a\", but #0, the write of it that could come last before it, is surely overwritten before it is called: #1 writes \"b\"",
            result.Explanation,
            StringComparison.Ordinal);
        Assert.DoesNotContain("#5", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_history_gives_the_same_result()
    {
        var history = new KvHistoryBuilder()
            .Put(1, "x", "1", 0, 100)
            .Put(2, "x", "2", 0, 100)
            .Get(3, "x", "1", 10, 20)
            .Get(3, "x", "2", 30, 40)
            .Get(4, "x", "2", 10, 20)
            .Get(4, "x", "1", 30, 40);

        Assert.Equal(Check(history), Check(history));
    }

    [Fact]
    public void Malformed_operations_are_rejected_with_a_clear_error()
    {
        var backwards = new KvHistoryBuilder().Put(1, "x", "a", 10, 5);
        Assert.Contains("before its call", Assert.Throws<ArgumentException>(() => Check(backwards)).Message, StringComparison.Ordinal);

        var unknownWithReturn = new[] { new Operation(1, new KvInput(KvOpKind.Put, "x", "a"), null, 0, 10) };
        Assert.Contains(
            "unknown outcome",
            Assert.Throws<ArgumentException>(() => LinearizabilityChecker.CheckKv(unknownWithReturn)).Message,
            StringComparison.Ordinal);

        var failedPut = new[] { new Operation(1, new KvInput(KvOpKind.Put, "x", "a"), new KvOutput(null, false), 0, 10) };
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.CheckKv(failedPut));

        var noKey = new[] { new Operation(1, new KvInput(KvOpKind.Get, null!), new KvOutput(null), 0, 10) };
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.CheckKv(noKey));

        Assert.Throws<ArgumentNullException>(() => LinearizabilityChecker.CheckKv(null!));
    }
}
