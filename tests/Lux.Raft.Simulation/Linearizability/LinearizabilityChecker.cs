using System.Globalization;

namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// Checks key-value histories for linearizability. Keys are independent (a history is linearizable iff each key's
/// sub-history is), so each key is searched on its own with <see cref="LinearizabilitySearch"/> and <see cref="KvModel"/>.
/// Real-time order is strict: A precedes B iff A.Return &lt; B.Call; operations that touch at one tick are concurrent.
/// </summary>
public static partial class LinearizabilityChecker
{
    /// <summary>
    /// Checks <paramref name="history"/> key by key, in the order keys first appear. Returns the first violation found, with
    /// the key and an account of it (the smallest failing prefix of that key's history, the longest linearizable prefix of
    /// it, and the operations that could not follow); otherwise <see cref="CheckOutcome.Unknown"/> naming the first key
    /// whose search ran out of its <paramref name="maxStepsPerKey"/> steps, or <see cref="CheckOutcome.Linearizable"/>.
    /// The budget is counted in search steps, not time, so a result is reproducible.
    /// </summary>
    /// <exception cref="ArgumentException">An operation is malformed (null, no key, returns before its call, a Get or Put
    /// reported as not ok, or an unknown outcome with a finite return time).</exception>
    public static CheckResult CheckKv(IReadOnlyList<Operation> history, long maxStepsPerKey = 5_000_000)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfNegative(maxStepsPerKey);

        var partitions = Partition(history);
        string? undecidedKey = null;
        var undecidedKeys = 0;
        var undecidedOps = 0;
        var totalSteps = 0L;
        foreach (var (key, indices) in partitions)
        {
            var result = SearchKey(history, indices, cut: null, maxStepsPerKey, recordLongest: false, out _);
            totalSteps += result.Steps;
            if (result.Outcome == CheckOutcome.NotLinearizable)
            {
                return new CheckResult(CheckOutcome.NotLinearizable, key, Explain(history, key, indices, maxStepsPerKey, result.Steps));
            }

            if (result.Outcome == CheckOutcome.Unknown)
            {
                undecidedKeys++;
                if (undecidedKey is null)
                {
                    undecidedKey = key;
                    undecidedOps = indices.Count;
                }
            }
        }

        var inv = CultureInfo.InvariantCulture;
        if (undecidedKey is not null)
        {
            return new CheckResult(
                CheckOutcome.Unknown,
                undecidedKey,
                string.Create(inv, $"Key {Quote(undecidedKey)} ({undecidedOps} operations): no verdict within the budget of {maxStepsPerKey:N0} search steps")
                + (undecidedKeys > 1 ? string.Create(inv, $", nor on {undecidedKeys - 1} other key(s)") : string.Empty)
                + "; no violation found on any key.");
        }

        return new CheckResult(
            CheckOutcome.Linearizable,
            null,
            string.Create(inv, $"Linearizable: {history.Count} operations on {partitions.Count} key(s), {totalSteps:N0} search steps."));
    }

    private static List<(string Key, List<int> Indices)> Partition(IReadOnlyList<Operation> history)
    {
        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<(string, List<int>)>();
        for (var i = 0; i < history.Count; i++)
        {
            var op = history[i];
            Validate(op, i);
            if (!byKey.TryGetValue(op.Input.Key, out var list))
            {
                list = [];
                byKey.Add(op.Input.Key, list);
                order.Add((op.Input.Key, list));
            }

            list.Add(i);
        }

        return order;
    }

    private static void Validate(Operation? op, int index)
    {
        if (op is null)
        {
            throw new ArgumentException($"Operation #{index} is null.", "history");
        }

        if (op.Input.Key is null)
        {
            throw new ArgumentException($"Operation #{index} has no key.", "history");
        }

        if (!Enum.IsDefined(op.Input.Kind))
        {
            throw new ArgumentException($"Operation #{index} has an unknown kind {(byte)op.Input.Kind}.", "history");
        }

        if (op.Output is not { } output)
        {
            if (op.Return != long.MaxValue)
            {
                throw new ArgumentException(
                    $"Operation #{index} has an unknown outcome but returns at {op.Return}; an unknown outcome returns at long.MaxValue.",
                    "history");
            }

            return;
        }

        if (op.Return < op.Call)
        {
            throw new ArgumentException($"Operation #{index} returns at {op.Return}, before its call at {op.Call}.", "history");
        }

        if (!output.Ok && op.Input.Kind != KvOpKind.Cas)
        {
            throw new ArgumentException(
                $"Operation #{index} is a {op.Input.Kind} reported as not ok; only a Cas can fail. An operation known not to have "
                + "happened belongs out of the history, one that may have happened has an unknown outcome.",
                "history");
        }
    }

    /// <summary>
    /// Searches one key. With a <paramref name="cut"/>, operations called after it are left out and those still running at
    /// it get an unknown outcome: the key's history as it stood at that moment.
    /// </summary>
    private static SearchResult SearchKey(
        IReadOnlyList<Operation> history,
        List<int> indices,
        PrefixCut? cut,
        long maxSteps,
        bool recordLongest,
        out int[] origin,
        Hints hints = Hints.Full)
        => SearchKey(history, indices, cut, maxSteps, recordLongest, out origin, hints, out _);

    private static SearchResult SearchKey(
        IReadOnlyList<Operation> history,
        List<int> indices,
        PrefixCut? cut,
        long maxSteps,
        bool recordLongest,
        out int[] origin,
        Hints hints,
        out int staleRead)
    {
        var ops = new List<ModelOperation<KvInput, KvOutput>>(indices.Count);
        var originList = new List<int>(indices.Count);
        for (var k = 0; k < indices.Count; k++)
        {
            var i = indices[k];
            var op = history[i];
            var known = op.Output.HasValue;
            if (cut is { } c)
            {
                if (c.CallPosition[k] > c.Through)
                {
                    continue;
                }

                known &= c.ReturnPosition[k] <= c.Through;
            }

            ops.Add(new ModelOperation<KvInput, KvOutput>(op.Input, known ? op.Output!.Value : default, known, op.Call, op.Return));
            originList.Add(i);
        }

        var kept = UnknownOperationFilter.Relevant(ops);
        var filtered = new ModelOperation<KvInput, KvOutput>[kept.Count];
        origin = new int[kept.Count];
        for (var k = 0; k < kept.Count; k++)
        {
            filtered[k] = ops[kept[k]];
            origin[k] = originList[kept[k]];
        }

        var help = hints == Hints.None ? null : new KvSearchHints(filtered, checkUpFront: hints == Hints.Full);
        staleRead = help?.StaleRead is >= 0 and var stale ? origin[stale] : -1;
        return LinearizabilitySearch.Check<KvModel, string?, KvInput, KvOutput>(default, filtered, maxSteps, recordLongest, help);
    }

    /// <summary>How much of <see cref="KvSearchHints"/> a search uses.</summary>
    private enum Hints
    {
        /// <summary>The plain search.</summary>
        None,

        /// <summary>Dead ends and useful unknown outcomes while searching, but no verdict from looking at the history up front.</summary>
        DuringSearch,

        /// <summary>Everything.</summary>
        Full,
    }

    private static string Quote(string? value) => value is null ? "(absent)" : "\"" + value + "\"";
}
