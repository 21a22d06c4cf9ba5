using System.Diagnostics;
using System.Globalization;
using Lux.Benchmarks.E2e;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario <c>path</c>: where the time of one Lux request goes. A 3-silo cluster with one key-value partition;
/// one caller at a time measures, in turn, a stale read (client to a gateway's router and its local replica), a lease
/// read (router to the leader's replica, no Raft round), a linearizable read (ReadIndex: one heartbeat round) and a
/// proposal (a replicated, synced write). The differences between the rows locate the cost of each layer.
/// Options: --protocol tcp|http --count 2000 (per row) --runs 3 --ops a,b (rows to run; default all).
/// </summary>
public static class PathScenario
{
    private const string Bench = "path";

    public static async Task<int> RunAsync(string[] args)
    {
        var protocol = BenchOutput.Option(args, "protocol") ?? "tcp";
        var count = int.Parse(BenchOutput.Option(args, "count") ?? "2000", CultureInfo.InvariantCulture);
        var runs = int.Parse(BenchOutput.Option(args, "runs") ?? "3", CultureInfo.InvariantCulture);
        if (LuxCluster.MissingPrerequisite() is { } missing)
        {
            BenchOutput.Line(Bench, "lux-" + protocol, ("skipped", missing));
            return 0;
        }
        using var interrupted = new Interruption();
        var root = Path.Combine(Path.GetTempPath(), $"lux-path-{Environment.ProcessId}");
        await using var cluster = await LuxCluster.StartAsync(protocol, 3, root, interrupted.Token);
        await cluster.CreatePartitionAsync("path", interrupted.Token);
        var partition = cluster.Client.GetRaftPartition("path");
        await partition.ProposeAsync(new KeyValuePut { Key = "k", Value = "v" }, interrupted.Token);

        var rows = new (string Name, Func<Task> Call)[]
        {
            ("stale-read", () => partition.ReadAsync(new KeyValueGet { Key = "k" }, ReadConsistency.Stale, interrupted.Token)),
            ("lease-read", () => partition.ReadAsync(new KeyValueGet { Key = "k" }, ReadConsistency.Lease, interrupted.Token)),
            ("linearizable-read", () => partition.ReadAsync(new KeyValueGet { Key = "k" }, ReadConsistency.Linearizable, interrupted.Token)),
            ("propose", () => partition.ProposeAsync(new KeyValuePut { Key = "k", Value = "v" }, interrupted.Token)),
        };
        var only = BenchOutput.Option(args, "ops")?.Split(',');
        for (var run = 0; run < runs; run++)
        {
            foreach (var (name, call) in rows)
            {
                if (only is not null && !only.Contains(name)) continue;
                for (var i = 0; i < count / 10; i++) await call();
                var samples = new double[count];
                for (var i = 0; i < count; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await call();
                    samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
                Array.Sort(samples);
                BenchOutput.Line(Bench, "lux-" + protocol, ("op", name), ("run", run + 1), ("count", count),
                    ("p50_ms", Math.Round(samples[count / 2], 3)), ("p99_ms", Math.Round(samples[count * 99 / 100], 3)),
                    ("load_1m", E2eLoadDriver.LoadAverage()));
            }
        }
        return 0;
    }
}
