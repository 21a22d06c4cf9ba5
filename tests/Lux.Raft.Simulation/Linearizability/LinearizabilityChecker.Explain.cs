using System.Globalization;
using System.Text;

namespace Lux.Raft.Simulation.Linearizability;

/// <summary>The account of a violation: where it first shows, how far a linearization gets, and what cannot follow.</summary>
public static partial class LinearizabilityChecker
{
    private const int ShownPrefixOperations = 20;
    private const int ShownWindowOperations = 40;
    private const long ExplanationSteps = 200_000;

    /// <summary>
    /// A moment in one key's history, as a position among its events (calls and known returns, sorted by time with calls
    /// first at equal times): the operations called up to <see cref="Through"/> are in, those not returned by then are running.
    /// </summary>
    private readonly record struct PrefixCut(int[] CallPosition, int[] ReturnPosition, int Through);

    private static string Explain(IReadOnlyList<Operation> history, string key, List<int> indices, long maxSteps, long stepsToVerdict)
    {
        var events = new List<(long Time, int Kind, int K)>(indices.Count * 2);
        for (var k = 0; k < indices.Count; k++)
        {
            var op = history[indices[k]];
            events.Add((op.Call, 0, k));
            if (op.Output.HasValue)
            {
                events.Add((op.Return, 1, k));
            }
        }

        events.Sort();
        var callPosition = new int[indices.Count];
        var returnPosition = new int[indices.Count];
        Array.Fill(returnPosition, int.MaxValue);
        var returns = new List<int>();
        for (var p = 0; p < events.Count; p++)
        {
            var (_, kind, k) = events[p];
            if (kind == 0)
            {
                callPosition[k] = p;
            }
            else
            {
                returnPosition[k] = p;
                returns.Add(p);
            }
        }

        // Violations only grow with the history (linearizability is prefix-closed), so the earliest return at which the
        // history so far already fails can be found by bisection. A budget-limited probe counts as "not failing", which
        // only makes the window reported larger, never wrong: the final cut is always one that was seen to fail.
        var lo = 0;
        var hi = returns.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            var probe = SearchKey(history, indices, new PrefixCut(callPosition, returnPosition, returns[mid]), maxSteps, false, out _);
            if (probe.Outcome == CheckOutcome.NotLinearizable)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        PrefixCut? cut = null;
        if (returns.Count > 0)
        {
            var candidate = new PrefixCut(callPosition, returnPosition, returns[hi]);
            if (SearchKey(history, indices, candidate, maxSteps, false, out _).Outcome == CheckOutcome.NotLinearizable)
            {
                cut = candidate;
            }
        }

        SearchKey(history, indices, cut, 0, false, out _, Hints.Full, out var staleRead);

        // The prefix shown is the deepest one found, not a verdict, so its searches get a small budget. The plain search
        // goes on until something visibly does not fit, but may get lost early in a long history; the hinted one gets far
        // but stops as soon as a branch is doomed, which can be well before the reader sees why.
        var budget = Math.Min(maxSteps, ExplanationSteps);
        var plain = SearchKey(history, indices, cut, budget, true, out var plainOrigin, Hints.None);
        var hinted = SearchKey(history, indices, cut, budget, true, out var hintedOrigin, Hints.DuringSearch);
        return plain.Linearization.Count >= hinted.Linearization.Count
            ? Describe(history, key, indices, cut, events, plain, plainOrigin, stepsToVerdict, staleRead)
            : Describe(history, key, indices, cut, events, hinted, hintedOrigin, stepsToVerdict, staleRead);
    }

    private static string Describe(
        IReadOnlyList<Operation> history,
        string key,
        List<int> indices,
        PrefixCut? cut,
        List<(long Time, int Kind, int K)> events,
        SearchResult longest,
        int[] origin,
        long stepsToVerdict,
        int staleRead)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.Append(inv, $"Key {Quote(key)}: not linearizable ({indices.Count} operations on this key, {stepsToVerdict:N0} search steps).").AppendLine();

        var inPrefix = new List<int>();
        var running = new HashSet<int>();
        if (cut is { } c)
        {
            var culprit = indices[events[c.Through].K];
            for (var k = 0; k < indices.Count; k++)
            {
                if (c.CallPosition[k] <= c.Through)
                {
                    inPrefix.Add(indices[k]);
                    if (history[indices[k]].Output.HasValue && c.ReturnPosition[k] > c.Through)
                    {
                        running.Add(indices[k]);
                    }
                }
            }

            text.Append(inv, $"It is certain once operation #{culprit} returns at t={history[culprit].Return}: ")
                .Append(inv, $"the smallest failing prefix of the key's history has {inPrefix.Count} operations")
                .Append(running.Count > 0 ? $", {running.Count} of them still running then (their outcome taken as unknown)." : ".")
                .AppendLine();
        }
        else
        {
            inPrefix.AddRange(indices);
            text.AppendLine("No smaller failing prefix was established within the search budget; the whole key's history is shown.");
        }

        if (staleRead >= 0)
        {
            text.AppendLine(StaleReadAccount(history, inPrefix, running, staleRead));
        }

        var path = longest.Linearization.Select(i => origin[i]).ToList();
        text.Append(inv, $"Longest linearizable prefix found")
            .Append(longest.Outcome == CheckOutcome.Unknown ? string.Create(inv, $" in {longest.Steps:N0} steps") : string.Empty)
            .Append(inv, $": {path.Count} operations, in linearization order, with the value after each:")
            .AppendLine();
        var model = default(KvModel);
        var state = model.Init();
        for (var p = 0; p < path.Count; p++)
        {
            var op = history[path[p]];
            var next = state;
            var applied = op.Output is { } output && !running.Contains(path[p])
                ? model.Step(state, op.Input, output, out next)
                : model.StepUnknown(state, op.Input, out next);
            state = applied ? next : state;
            if (p == path.Count - ShownPrefixOperations && p > 0)
            {
                text.Append(inv, $"  ... {p} earlier operations not shown").AppendLine();
            }

            if (p >= path.Count - ShownPrefixOperations)
            {
                text.Append("  ").Append(Format(history, path[p], running.Contains(path[p]))).Append(" => ").AppendLine(Quote(state));
            }
        }

        var linearized = path.ToHashSet();
        var left = inPrefix.Where(i => !linearized.Contains(i)).ToList();
        var window = left.Where(i => history[i].Output is not null).OrderBy(i => history[i].Call).ThenBy(i => i).ToList();
        var optional = left.Count - window.Count;
        text.Append(inv, $"None of the {window.Count} remaining operations can come next (the failing window)")
            .Append(optional > 0 ? string.Create(inv, $"; {optional} of unknown outcome, which may never take effect, not listed:") : ":")
            .AppendLine();
        foreach (var i in window.Take(ShownWindowOperations))
        {
            text.Append("  ").AppendLine(Format(history, i, running.Contains(i)));
        }

        if (window.Count > ShownWindowOperations)
        {
            text.Append(inv, $"  ... {window.Count - ShownWindowOperations} more").AppendLine();
        }

        return text.ToString();
    }

    /// <summary>
    /// Why <paramref name="need"/> (a Get or a successful Cas) cannot be served: the write of its value that could come
    /// last before it, and a write of another value that surely came between them; or that nothing writes the value.
    /// </summary>
    private static string StaleReadAccount(IReadOnlyList<Operation> history, List<int> ops, HashSet<int> running, int need)
    {
        var wanted = history[need].Input.Kind == KvOpKind.Get ? history[need].Output!.Value.Value : history[need].Input.Expected;
        long ReturnOf(int i) => history[i].Output is null || running.Contains(i) ? long.MaxValue : history[i].Return;
        bool Writes(int i, out string? value)
        {
            var op = history[i];
            value = op.Input.Value;
            return op.Input.Kind == KvOpKind.Put || (op.Input.Kind == KvOpKind.Cas && (op.Output is not { } o || running.Contains(i) || o.Ok));
        }

        var reads = history[need].Input.Kind == KvOpKind.Get ? $"reads {Quote(wanted)}" : $"expects {Quote(wanted)}";
        var writers = ops.Where(i => Writes(i, out var v) && KvModel.Same(v, wanted) && history[i].Call <= history[need].Return).ToList();
        var lastWriter = writers.Count == 0 ? -1 : writers.MaxBy(ReturnOf);
        if (lastWriter < 0 && wanted is not null)
        {
            return $"Operation #{need} {reads}, which nothing writes before it returns.";
        }

        var writtenBy = lastWriter < 0 ? long.MinValue : ReturnOf(lastWriter);
        var overwrite = ops
            .Where(i => i != need && ReturnOf(i) != long.MaxValue && Writes(i, out var v) && !KvModel.Same(v, wanted)
                && history[i].Call > writtenBy && history[i].Return < history[need].Call)
            .OrderBy(i => history[i].Return)
            .FirstOrDefault(-1);
        var source = lastWriter < 0 ? "the initial absence of the key" : $"#{lastWriter}, the write of it that could come last before it,";
        return overwrite < 0
            ? $"Operation #{need} {reads}, which no write can supply in time."
            : $"Operation #{need} {reads}, but {source} is surely overwritten before it is called: #{overwrite} writes "
              + $"{Quote(history[overwrite].Input.Value)} and runs entirely in between.";
    }

    private static string Format(IReadOnlyList<Operation> history, int index, bool running)
    {
        var op = history[index];
        var inv = CultureInfo.InvariantCulture;
        var what = op.Input.Kind switch
        {
            KvOpKind.Get => "Get",
            KvOpKind.Put => $"Put {Quote(op.Input.Value)}",
            _ => $"Cas {Quote(op.Input.Expected)} -> {Quote(op.Input.Value)}",
        };
        var result = op.Output switch
        {
            null => "outcome unknown",
            { } o when op.Input.Kind == KvOpKind.Get => "read " + Quote(o.Value),
            { Ok: true } when op.Input.Kind == KvOpKind.Cas => "swapped",
            { } when op.Input.Kind == KvOpKind.Cas => "did not swap",
            _ => "ok",
        };
        var returned = op.Output is null ? "inf" : op.Return.ToString(inv);
        var note = running ? " (still running at that point)" : string.Empty;
        return string.Create(inv, $"#{index} client {op.ClientId}: {what}: {result} [{op.Call}, {returned}]{note}");
    }
}
