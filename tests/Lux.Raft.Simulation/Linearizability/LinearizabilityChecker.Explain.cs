using System.Globalization;
using System.Text;

namespace Lux.Raft.Simulation.Linearizability;

/// <summary>The account of a violation: where it first shows, how far a linearization gets, and what cannot follow.</summary>
public static partial class LinearizabilityChecker
{
    private const int ShownPrefixOperations = 20;
    private const int ShownWindowOperations = 40;

    /// <summary>
    /// A moment in one key's history, as a position among its events (calls and known returns, sorted by time with calls
    /// first at equal times): the operations called up to <see cref="Through"/> are in, those not returned by then are running.
    /// </summary>
    private readonly record struct PrefixCut(int[] CallPosition, int[] ReturnPosition, int Through);

    private static string Explain(IReadOnlyList<Operation> history, string key, List<int> indices, long maxSteps)
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
        SearchResult? failing = null;
        int[] failingOrigin = [];
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
            var probeCut = new PrefixCut(callPosition, returnPosition, returns[hi]);
            if (LongestPrefix(history, indices, probeCut, maxSteps, out failingOrigin) is { } found)
            {
                failing = found;
                cut = probeCut;
            }
        }

        failing ??= LongestPrefix(history, indices, null, maxSteps, out failingOrigin)
            ?? SearchKey(history, indices, null, maxSteps, true, out failingOrigin);

        return Describe(history, key, indices, cut, events, failing, failingOrigin);
    }

    /// <summary>
    /// A failed search of the cut history that recorded the longest linearizable prefix, or null if none failed in
    /// budget. The hints are left out first: they abandon a branch as soon as it is doomed, which is what makes the search
    /// fast, but the prefix a reader wants is the one that goes as far as it can before something visibly does not fit.
    /// </summary>
    private static SearchResult? LongestPrefix(IReadOnlyList<Operation> history, List<int> indices, PrefixCut? cut, long maxSteps, out int[] origin)
    {
        var plain = SearchKey(history, indices, cut, maxSteps, true, out origin, useHints: false);
        if (plain.Outcome == CheckOutcome.NotLinearizable)
        {
            return plain;
        }

        var hinted = SearchKey(history, indices, cut, maxSteps, true, out origin);
        return hinted.Outcome == CheckOutcome.NotLinearizable ? hinted : null;
    }

    private static string Describe(
        IReadOnlyList<Operation> history,
        string key,
        List<int> indices,
        PrefixCut? cut,
        List<(long Time, int Kind, int K)> events,
        SearchResult failing,
        int[] origin)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.Append(inv, $"Key {Quote(key)}: not linearizable ({indices.Count} operations on this key).").AppendLine();

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

        var path = failing.Linearization.Select(i => origin[i]).ToList();
        text.Append(inv, $"Longest linearizable prefix found: {path.Count} operations, in linearization order, with the value after each:")
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
        var window = inPrefix.Where(i => !linearized.Contains(i)).OrderBy(i => history[i].Call).ThenBy(i => i).ToList();
        text.Append(inv, $"None of these {window.Count} remaining operations can come next (the failing window):").AppendLine();
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
