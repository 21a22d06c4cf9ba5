using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Tests.Linearizability;

/// <summary>
/// Histories of a key-value store that is linearizable by construction: each client runs its operations one after
/// another, each operation takes effect at a random instant inside its interval, and outputs come from applying the
/// operations to a sequential store in the order of those instants. Some operations time out: their outcome is recorded
/// as unknown, and they take effect (possibly after their client gave up) or not at all.
/// </summary>
internal static class RandomKvHistory
{
    internal sealed record Options
    {
        public int Clients { get; init; } = 20;

        public int OperationsPerClient { get; init; } = 30;

        public int Keys { get; init; } = 3;

        public double UnknownRate { get; init; } = 0.05;

        public double UnknownTakesEffect { get; init; } = 0.5;

        /// <summary>Share of writes that take a value from a small shared pool instead of a fresh one (harder to check).</summary>
        public double ReusedValueRate { get; init; }

        public int MaxLatency { get; init; } = 20;

        public int MaxGap { get; init; } = 10;
    }

    private sealed class Planned
    {
        public int Client;
        public string Key = "";
        public long Call;
        public long Return;
        public double EffectAt;
        public bool Unknown;
        public bool TakesEffect = true;
        public Operation? Operation;
    }

    /// <summary>
    /// A whole tick in [call, call + span] plus a fraction that orders effects within the tick at random. An effect may
    /// thus fall after its operation's return tick, but never past the next tick, where any operation strictly after it
    /// begins: the order of effects still respects real time, and operations that touch at a tick take effect in either
    /// order, which is what exercises the rule that touching operations are concurrent.
    /// </summary>
    private static double EffectTime(Random random, long call, int span)
        => call + random.Next(span + 1) + (random.NextDouble() * 0.999);

    public static List<Operation> Generate(int seed, Options options)
    {
        var random = new Random(seed);
        var planned = new List<Planned>();
        for (var client = 0; client < options.Clients; client++)
        {
            long time = random.Next(0, options.MaxGap + 1);
            for (var i = 0; i < options.OperationsPerClient; i++)
            {
                var call = time + random.Next(0, options.MaxGap + 1);
                var latency = random.Next(0, options.MaxLatency + 1);
                var p = new Planned
                {
                    Client = client,
                    Key = "k" + random.Next(options.Keys),
                    Call = call,
                    Return = call + latency,
                    EffectAt = EffectTime(random, call, latency),
                    Unknown = random.NextDouble() < options.UnknownRate,
                };
                if (p.Unknown)
                {
                    p.TakesEffect = random.NextDouble() < options.UnknownTakesEffect;

                    // A timed-out request may still be applied much later, after its client moved on.
                    p.EffectAt = EffectTime(random, call, latency * 10);
                }

                planned.Add(p);
                time = p.Return;
            }
        }

        var state = new Dictionary<string, string?>();
        var fresh = 0;
        string[] pool = ["p0", "p1", "p2"];
        var order = planned.Select((p, i) => (p, i)).OrderBy(x => x.p.EffectAt).ThenBy(x => x.i).Select(x => x.p);
        foreach (var p in order)
        {
            var current = state.GetValueOrDefault(p.Key);
            var roll = random.NextDouble();
            string NewValue() => random.NextDouble() < options.ReusedValueRate ? pool[random.Next(pool.Length)] : "v" + fresh++;
            KvInput input;
            KvOutput output;
            if (roll < 0.45)
            {
                input = new KvInput(KvOpKind.Get, p.Key);
                output = new KvOutput(current);
            }
            else if (roll < 0.8)
            {
                input = new KvInput(KvOpKind.Put, p.Key, NewValue());
                output = new KvOutput(null);
                if (p.TakesEffect)
                {
                    state[p.Key] = input.Value;
                }
            }
            else
            {
                var expected = random.NextDouble() < 0.6 || fresh == 0 ? current : "v" + random.Next(fresh);
                input = new KvInput(KvOpKind.Cas, p.Key, NewValue(), expected);
                var swapped = string.Equals(current, expected, StringComparison.Ordinal);
                output = new KvOutput(null, swapped);
                if (swapped && p.TakesEffect)
                {
                    state[p.Key] = input.Value;
                }
            }

            p.Operation = p.Unknown
                ? new Operation(p.Client, input, null, p.Call, long.MaxValue)
                : new Operation(p.Client, input, output, p.Call, p.Return);
        }

        return planned.Select(p => p.Operation!).ToList();
    }

    /// <summary>Makes one known Get read a value nobody ever wrote; returns its index.</summary>
    public static int ReadNeverWrittenValue(List<Operation> history, Random random)
    {
        var reads = Enumerable.Range(0, history.Count)
            .Where(i => history[i].Input.Kind == KvOpKind.Get && history[i].Output is not null)
            .ToList();
        var target = reads[random.Next(reads.Count)];
        history[target] = history[target] with { Output = new KvOutput("never-written") };
        return target;
    }

    /// <summary>
    /// Makes one known Get read a value that was certainly overwritten before the read began: a value with a single writer
    /// W (known), where a known write X of another value ran entirely after W and entirely before the read. Nothing writes
    /// the value again, so no linearization can place the read where the value is current. Returns the read's index, or -1
    /// when the history has no such triple.
    /// </summary>
    public static int ReadOverwrittenValue(List<Operation> history, Random random)
    {
        var writers = new Dictionary<(string Key, string? Value), int>();
        foreach (var op in history)
        {
            if (op.Input.Kind != KvOpKind.Get)
            {
                writers[(op.Input.Key, op.Input.Value)] = writers.GetValueOrDefault((op.Input.Key, op.Input.Value)) + 1;
            }
        }

        bool Wrote(Operation op) => op.Output is { } o && (op.Input.Kind == KvOpKind.Put || (op.Input.Kind == KvOpKind.Cas && o.Ok));

        var candidates = new List<(int Read, string Value)>();
        for (var r = 0; r < history.Count; r++)
        {
            var read = history[r];
            if (read.Input.Kind != KvOpKind.Get || read.Output is null)
            {
                continue;
            }

            var overwrites = history.Where(x => x.Input.Key == read.Input.Key && Wrote(x) && x.Return < read.Call).ToList();
            if (overwrites.Count == 0)
            {
                continue;
            }

            // With a single writer per value, any other completed write is of another value.
            var lastCall = overwrites.Max(x => x.Call);
            foreach (var w in overwrites)
            {
                if (w.Input.Value is not null && writers[(w.Input.Key, w.Input.Value)] == 1 && w.Return < lastCall)
                {
                    candidates.Add((r, w.Input.Value));
                }
            }
        }

        if (candidates.Count == 0)
        {
            return -1;
        }

        var (target, value) = candidates[random.Next(candidates.Count)];
        history[target] = history[target] with { Output = new KvOutput(value) };
        return target;
    }
}
