using System.Globalization;
using Lux.Benchmarks.E2e;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario <c>e2e</c>: proposals committed and applied by a 3-replica cluster on 127.0.0.1, driven by closed-loop
/// clients, for every system of <see cref="E2eSystems"/> in the same run (the baselines DotNext and etcd, and Lux over
/// TCP and HTTP). Before each concurrency-1 point the disk's own fsync latency is measured (<see cref="FsyncProbe"/>)
/// and each system's p99 there is given as a ratio to it. Every measurement gets a fresh cluster in a fresh data directory; runs are interleaved across systems
/// (value, concurrency, run, system) so that a change in machine load hits every system alike.
/// Options: --systems a,b (default: all registered) --values 16,1024 --concurrency 1,16,256 --duration 10 (s)
/// --warmup 20 (s) --runs 3 (medians reported) --nodes 3 --dir PATH (parent of the data directories; default: temp),
/// and each system's own options (see DotNextSystem, EtcdSystem).
/// </summary>
public static class E2eScenario
{
    private const string Bench = "e2e";
    private static readonly TimeSpan FsyncProbeDuration = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        var names = (BenchOutput.Option(args, "systems") ?? string.Join(',', E2eSystems.All.Keys)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (names.FirstOrDefault(n => !E2eSystems.All.ContainsKey(n)) is { } unknown)
        {
            Console.Error.WriteLine($"e2e: unknown system '{unknown}'; known: {string.Join(", ", E2eSystems.All.Keys)}");
            return 2;
        }
        int[] values, concurrencies;
        TimeSpan duration, warmup;
        int runs, nodes;
        string root;
        try
        {
            values = BenchOutput.Ints(args, "values", "16,1024");
            concurrencies = BenchOutput.Ints(args, "concurrency", "1,16,256");
            duration = BenchOutput.Seconds(args, "duration", "10");
            // 20 s, not less: a fresh Orleans silo is still JIT-compiling its hot paths to tier 1 for about 15 s under
            // this load (the JIT took 50-60 % of a core on the leader's silo in each of the first 15 s, docs/performance.md),
            // so a short warm-up measures the compiler, not the steady state. Every system gets the same warm-up.
            warmup = BenchOutput.Seconds(args, "warmup", "20");
            runs = int.Parse(BenchOutput.Option(args, "runs") ?? "3", CultureInfo.InvariantCulture);
            nodes = int.Parse(BenchOutput.Option(args, "nodes") ?? "3", CultureInfo.InvariantCulture);
            root = Path.Combine(BenchOutput.Option(args, "dir") ?? Path.GetTempPath(), $"lux-e2e-{Environment.ProcessId}");
            if (values.Any(v => v <= 0) || concurrencies.Any(c => c <= 0) || runs <= 0 || nodes <= 0 || duration <= TimeSpan.Zero || warmup < TimeSpan.Zero)
                throw new FormatException("values, concurrency, runs, nodes and duration must be positive, warmup not negative");
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            Console.Error.WriteLine($"e2e: bad option: {e.Message}");
            return 2;
        }

        using var interrupted = new Interruption();

        var systems = new List<IE2eSystem>();
        try
        {
            foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                IE2eSystem system;
                try
                {
                    system = E2eSystems.All[name](args);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                {
                    Console.Error.WriteLine($"e2e: bad option for {name}: {e.Message}");
                    return 2;
                }
                if (system.MissingPrerequisite() is { } reason)
                {
                    BenchOutput.Line(Bench, system.Name, ("skipped", reason));
                    await system.DisposeAsync();
                    continue;
                }
                systems.Add(system);
            }
            if (systems.Count == 0)
            {
                Console.Error.WriteLine("e2e: no system can run here (see the skipped lines)");
                return 0;
            }
            Console.Error.WriteLine($"e2e: {string.Join(", ", systems.Select(s => s.Name))}; {nodes} nodes; values {string.Join(",", values)} B; " +
                $"concurrency {string.Join(",", concurrencies)}; {runs} runs of {warmup.TotalSeconds} s warm-up + {duration.TotalSeconds} s; data under {root}; load {E2eLoadDriver.LoadAverage()}");

            foreach (var valueBytes in values)
                foreach (var concurrency in concurrencies)
                    await MeasurePointAsync(systems, nodes, root, valueBytes, concurrency, runs, warmup, duration, interrupted.Token);
            return 0;
        }
        catch (OperationCanceledException) when (interrupted.IsInterrupted)
        {
            Console.Error.WriteLine("e2e: interrupted; clusters stopped, data removed");
            return 130;
        }
        finally
        {
            foreach (var system in systems) await system.DisposeAsync();
            BenchOutput.DeleteDirectory(root);
        }
    }

    private static async Task MeasurePointAsync(List<IE2eSystem> systems, int nodes, string root, int valueBytes, int concurrency, int runs,
        TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        // At concurrency 1 a write's latency is bounded below by the disk's sync: measure that floor right before the point.
        FsyncMeasurement? fsync = null;
        if (concurrency == 1)
        {
            fsync = await FsyncProbe.RunAsync(Path.Combine(root, "fsync-probe"), FsyncProbeDuration, cancellationToken);
            BenchOutput.Line(Bench, "raw-disk", ("value_bytes", valueBytes), ("concurrency", concurrency), ("op", $"append {FsyncProbe.BlockBytes} B + Flush(true) (fsync), loop"),
                ("p50_ms", fsync.P50Milliseconds), ("p99_ms", fsync.P99Milliseconds), ("syncs", fsync.Syncs), ("load_1m", fsync.LoadAverage), ("duration_s", FsyncProbeDuration.TotalSeconds));
        }
        var results = systems.ToDictionary(s => s.Name, _ => new List<E2eMeasurement>());
        var failures = new Dictionary<string, string>();
        for (var run = 0; run < runs; run++)
        {
            foreach (var system in systems)
            {
                var dataDirectory = Path.Combine(root, $"{system.Name}-{valueBytes}-{concurrency}-{run}");
                try
                {
                    await system.StartAsync(nodes, dataDirectory, cancellationToken);
                    await using var client = await system.ConnectAsync(cancellationToken);
                    var measured = await E2eLoadDriver.RunAsync(client, valueBytes, concurrency, warmup, duration, cancellationToken);
                    results[system.Name].Add(measured);
                    Console.Error.WriteLine($"e2e: {system.Name} {valueBytes} B x {concurrency} run {run + 1}: {measured.OpsPerSecond:F0} ops/s, " +
                        $"p50 {measured.P50Milliseconds:F2} ms, p99 {measured.P99Milliseconds:F2} ms, errors {measured.Errors}, load {measured.LoadAverage}");
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failures[system.Name] = $"{e.GetType().Name}: {e.Message}";
                    Console.Error.WriteLine($"e2e: {system.Name} {valueBytes} B x {concurrency} run {run + 1} failed: {e}");
                }
                finally
                {
                    await system.StopAsync(CancellationToken.None);
                    BenchOutput.DeleteDirectory(dataDirectory);
                }
            }
        }

        var medians = results.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => BenchOutput.Median(r.Value.Select(m => m.OpsPerSecond)));
        foreach (var system in systems)
        {
            var list = results[system.Name];
            var fields = new List<(string, object)>
            {
                ("value_bytes", valueBytes), ("concurrency", concurrency), ("partitions", 1), ("nodes", nodes),
            };
            if (list.Count == 0)
            {
                fields.Add(("error", failures.GetValueOrDefault(system.Name, "no run completed")));
                BenchOutput.Line(Bench, system.Name, fields.ToArray());
                continue;
            }
            fields.AddRange(
            [
                ("ops_per_s", medians[system.Name]), ("p50_ms", BenchOutput.Median(list.Select(m => m.P50Milliseconds))), ("p99_ms", BenchOutput.Median(list.Select(m => m.P99Milliseconds))),
                ("runs", list.Count), ("runs_ops_per_s", string.Join(" ", list.Select(m => Math.Round(m.OpsPerSecond)))),
                ("errors", list.Sum(m => m.Errors)),
            ]);
            if (list.Select(m => m.FirstError).FirstOrDefault(e => e is not null) is { } firstError) fields.Add(("first_error", firstError));
            foreach (var baseline in E2eSystems.Baselines)
                if (baseline != system.Name && medians.TryGetValue(baseline, out var baselineOps) && baselineOps > 0)
                    fields.Add(($"ratio_to_{baseline}", medians[system.Name] / baselineOps));
            if (fsync is { P99Milliseconds: > 0 }) fields.Add(("p99_to_fsync_p99", BenchOutput.Median(list.Select(m => m.P99Milliseconds)) / fsync.P99Milliseconds));
            fields.AddRange(
            [
                ("fsync", true), ("durability", system.Durability), ("client", system.Client),
                ("load_1m", BenchOutput.Median(list.Select(m => m.LoadAverage))), ("warmup_s", warmup.TotalSeconds), ("duration_s", duration.TotalSeconds),
            ]);
            BenchOutput.Line(Bench, system.Name, fields.ToArray());
        }
    }
}
