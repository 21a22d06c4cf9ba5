using Lux.Raft.Simulation.Linearizability;
using Xunit.Abstractions;

namespace Lux.Raft.Tests.Linearizability;

/// <summary>
/// The checker against an independent, obviously correct one: try every order of the operations that respects real
/// time, over all keys at once, with unknown outcomes placed anywhere after their call or nowhere. Small histories only,
/// but thousands of them, half from a linearizable store and half of those with one output falsified, so both verdicts
/// and every pruning rule of the real search (greedy reads, justified unknown outcomes, the relevance filter, dead ends,
/// per-key partitioning) get exercised against the definition.
/// </summary>
public sealed class BruteForceComparisonTests(ITestOutputHelper output)
{
    private static readonly string?[] Values = [null, "p0", "p1", "p2"];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 6)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Checker_agrees_with_exhaustive_search_on_small_histories(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var verdicts = new Dictionary<CheckOutcome, int>();
        for (var round = 0; round < 400; round++)
        {
            var history = SmallHistory(random);
            var expected = ExhaustivelyLinearizable(history) ? CheckOutcome.Linearizable : CheckOutcome.NotLinearizable;
            var actual = LinearizabilityChecker.CheckKv(history);
            if (actual.Outcome != expected)
            {
                Assert.Fail($"round {round}: expected {expected}, checker said {actual.Outcome}{Environment.NewLine}{Describe(history)}{actual.Explanation}");
            }

            verdicts[expected] = verdicts.GetValueOrDefault(expected) + 1;
        }

        output.WriteLine(string.Join(", ", verdicts.Select(v => $"{v.Key}: {v.Value}")));
        Assert.True(verdicts.GetValueOrDefault(CheckOutcome.Linearizable) > 50);
        Assert.True(verdicts.GetValueOrDefault(CheckOutcome.NotLinearizable) > 50);
    }

    /// <summary>
    /// On histories too big for the exhaustive search, the plain WGL search (no relevance filter, no hints) is the
    /// reference for what the hints and the filter add: whenever it reaches a verdict within its budget, the checker's
    /// verdict must be the same.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Hints_and_filtering_never_change_the_plain_search_verdict(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var compared = new Dictionary<CheckOutcome, int>();
        for (var round = 0; round < 60; round++)
        {
            var history = RandomKvHistory.Generate(random.Next(), new RandomKvHistory.Options
            {
                Clients = 5,
                OperationsPerClient = 8,
                Keys = 1,
                UnknownRate = 0.2,
                ReusedValueRate = 0.5,
                MaxLatency = 8,
                MaxGap = 4,
            });
            if (random.Next(2) == 0)
            {
                RandomKvHistory.ReadNeverWrittenValue(history, random);
                var i = random.Next(history.Count);
                if (history[i].Input.Kind == KvOpKind.Get && history[i].Output is not null)
                {
                    history[i] = history[i] with { Output = new KvOutput(Values[random.Next(Values.Length)]) };
                }
            }

            var plain = LinearizabilitySearch.Check<KvModel, string?, KvInput, KvOutput>(
                default,
                history.Select(o => new ModelOperation<KvInput, KvOutput>(o.Input, o.Output ?? default, o.Output is not null, o.Call, o.Return)).ToArray(),
                2_000_000);
            if (plain.Outcome == CheckOutcome.Unknown)
            {
                continue;
            }

            var checker = LinearizabilityChecker.CheckKv(history);
            Assert.True(plain.Outcome == checker.Outcome, $"round {round}: plain {plain.Outcome}, checker {checker.Outcome}{Environment.NewLine}{Describe(history)}");
            compared[plain.Outcome] = compared.GetValueOrDefault(plain.Outcome) + 1;
        }

        output.WriteLine(string.Join(", ", compared.Select(v => $"{v.Key}: {v.Value}")));
        Assert.True(compared.GetValueOrDefault(CheckOutcome.Linearizable) > 10);
        Assert.True(compared.GetValueOrDefault(CheckOutcome.NotLinearizable) > 10);
    }

    private static List<Operation> SmallHistory(Random random)
    {
        var history = RandomKvHistory.Generate(random.Next(), new RandomKvHistory.Options
        {
            Clients = random.Next(1, 4),
            OperationsPerClient = random.Next(1, 4),
            Keys = random.Next(1, 3),
            UnknownRate = 0.25,
            ReusedValueRate = 0.9,
            MaxLatency = 6,
            MaxGap = 3,
        });

        if (random.Next(2) == 0 && history.Count > 0)
        {
            var i = random.Next(history.Count);
            var op = history[i];
            var value = Values[random.Next(Values.Length)];
            history[i] = op.Input.Kind switch
            {
                KvOpKind.Get when op.Output is not null => op with { Output = new KvOutput(value) },
                KvOpKind.Cas when op.Output is { } o => op with { Output = new KvOutput(null, !o.Ok) },
                KvOpKind.Cas => op with { Input = op.Input with { Expected = value } },
                _ => op with { Input = op.Input with { Value = value } },
            };
        }

        return history;
    }

    private static bool ExhaustivelyLinearizable(List<Operation> history)
    {
        var used = new bool[history.Count];
        var state = new Dictionary<string, string?>();
        return Extend(history, used, state);
    }

    private static bool Extend(List<Operation> history, bool[] used, Dictionary<string, string?> state)
    {
        if (Enumerable.Range(0, history.Count).All(i => used[i] || history[i].Output is null))
        {
            return true;
        }

        for (var i = 0; i < history.Count; i++)
        {
            var op = history[i];
            if (used[i] || Enumerable.Range(0, history.Count).Any(j => !used[j] && history[j].Output is not null && history[j].Return < op.Call))
            {
                continue;
            }

            var key = op.Input.Key;
            var current = state.GetValueOrDefault(key);
            string? next;
            if (op.Output is not { } o)
            {
                next = op.Input.Kind switch
                {
                    KvOpKind.Put => op.Input.Value,
                    KvOpKind.Cas when current == op.Input.Expected => op.Input.Value,
                    _ => current,
                };
            }
            else if (op.Input.Kind == KvOpKind.Get)
            {
                if (o.Value != current)
                {
                    continue;
                }

                next = current;
            }
            else if (op.Input.Kind == KvOpKind.Put)
            {
                next = op.Input.Value;
            }
            else if (o.Ok)
            {
                if (current != op.Input.Expected)
                {
                    continue;
                }

                next = op.Input.Value;
            }
            else
            {
                if (current == op.Input.Expected)
                {
                    continue;
                }

                next = current;
            }

            used[i] = true;
            state[key] = next;
            var found = Extend(history, used, state);
            used[i] = false;
            state[key] = current;
            if (found)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(List<Operation> history)
        => string.Concat(history.Select((op, i) =>
            $"  #{i} c{op.ClientId} {op.Input} -> {(op.Output is { } o ? o.ToString() : "unknown")} [{op.Call}, {op.Return}]{Environment.NewLine}"));
}
