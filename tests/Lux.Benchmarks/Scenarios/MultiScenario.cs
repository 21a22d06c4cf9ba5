using System.Diagnostics;
using System.Globalization;
using Lux.Benchmarks.E2e;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;
using Lux.Orleans.Grains;
using Lux.Orleans.Replication;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario <c>multi</c>: many partitions on one cluster of silo processes (<see cref="LuxCluster"/>). Creates
/// <c>--partitions</c> key-value partitions of 3 replicas through the catalog, waits until each has a leader, lets them
/// settle, then (a) idle: CPU used by the silo processes over <c>--idle</c> seconds as a percentage of one core
/// (/proc/&lt;pid&gt;/stat utime + stime), their resident memory, leaders per silo, and from each silo's node grain the
/// replicas quiesced before and after the window and the wake-ups during it; (b) load: closed-loop writers,
/// <c>--concurrency</c> of them, each with its own key, every write going to the next partition in turn so the load
/// covers all partitions; aggregate ops/s over <c>--duration</c> seconds after <c>--warmup</c>.
/// <c>--partitions 0</c> measures the idle silos alone (Orleans, the runtime and the replica host without replicas) and
/// skips the load. The default settle of 120 s lets the runtime finish compiling code to its final tier: periodic work
/// (timers, membership probes) reaches the tier-up call count slowly, and 40-55 s after start the JIT's thread was still
/// about 40 % of idle silos' CPU.
/// Options: --protocol tcp|http (default tcp) --partitions 1000 --silos 3 --settle 120 --idle 20 --concurrency 256
/// --value 16 --warmup 3 --duration 10 --runs 1 (a fresh cluster each) --dir PATH.
/// </summary>
public static class MultiScenario
{
    private const string Bench = "multi";
    // The catalog runs creations of different partitions side by side and every silo group-commits their records, so
    // many callers at once is what makes creation fast.
    private const int CreateCallers = 64;
    private const int StatusCallers = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        string protocol;
        int partitions, silos, concurrency, valueBytes, runs;
        TimeSpan settle, idle, warmup, duration;
        try
        {
            protocol = LuxRuns.Protocol(args);
            partitions = BenchOutput.Ints(args, "partitions", "1000")[0];
            silos = BenchOutput.Ints(args, "silos", "3")[0];
            concurrency = BenchOutput.Ints(args, "concurrency", "256")[0];
            valueBytes = BenchOutput.Ints(args, "value", "16")[0];
            runs = BenchOutput.Ints(args, "runs", "1")[0];
            settle = BenchOutput.Seconds(args, "settle", "120");
            idle = BenchOutput.Seconds(args, "idle", "20");
            warmup = BenchOutput.Seconds(args, "warmup", "3");
            duration = BenchOutput.Seconds(args, "duration", "10");
            if (partitions < 0 || silos < 3 || concurrency <= 0 || valueBytes <= 0 || runs <= 0 || idle <= TimeSpan.Zero || duration <= TimeSpan.Zero
                || settle < TimeSpan.Zero || warmup < TimeSpan.Zero)
                throw new FormatException("concurrency, value, runs, idle and duration must be positive, silos at least 3, partitions, settle and warmup not negative");
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
        {
            Console.Error.WriteLine($"multi: bad option: {e.Message}");
            return 2;
        }
        return await LuxRuns.RunAsync(Bench, protocol, runs, args, (run, directory, cancellationToken) =>
            MeasureAsync(protocol, partitions, silos, concurrency, valueBytes, settle, idle, warmup, duration, directory, run, cancellationToken));
    }

    private static async Task MeasureAsync(string protocol, int partitions, int siloCount, int concurrency, int valueBytes, TimeSpan settle, TimeSpan idle,
        TimeSpan warmup, TimeSpan duration, string directory, int run, CancellationToken cancellationToken)
    {
        var system = "lux-" + protocol;
        Console.Error.WriteLine($"multi: {system}, {siloCount} silos, {partitions} partitions x 3 replicas, run {run}; data under {directory}; load {E2eLoadDriver.LoadAverage()}");
        await using var cluster = await LuxCluster.StartAsync(protocol, siloCount, directory, cancellationToken);
        var ids = Enumerable.Range(0, partitions).Select(i => $"p{i:D5}").ToArray();

        var started = Stopwatch.GetTimestamp();
        var created = 0;
        await ForEachAsync(ids, CreateCallers, async id =>
        {
            await CreateAsync(cluster, id, cancellationToken);
            if (Interlocked.Increment(ref created) % 100 == 0)
                Console.Error.WriteLine($"multi: {created} partitions created, {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
        }, cancellationToken);
        var createSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.Error.WriteLine($"multi: {partitions} partitions created in {createSeconds:F1} s");

        started = Stopwatch.GetTimestamp();
        var leaders = await LeadersAsync(cluster, ids, cancellationToken);
        var electSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.Error.WriteLine($"multi: every partition has a leader {electSeconds:F1} s later; settling {settle.TotalSeconds} s");
        await Task.Delay(settle, cancellationToken);

        // (a) idle: nothing is asked of the cluster while the silos' CPU time is read. The replica counts, asked of each
        // silo's node grain just before and after, show whether the partitions were quiet and stayed so.
        var pids = cluster.Silos.Select(s => s.Process.Id).ToArray();
        var countsBefore = await CountsAsync(cluster);
        var cpuBefore = pids.Select(ProcessUsage.CpuTime).ToArray();
        var idleStart = Stopwatch.GetTimestamp();
        await Task.Delay(idle, cancellationToken);
        var idleSeconds = Stopwatch.GetElapsedTime(idleStart).TotalSeconds;
        var cpuPercent = pids.Select((pid, i) => (ProcessUsage.CpuTime(pid) - cpuBefore[i]).TotalSeconds / idleSeconds * 100).ToArray();
        var countsAfter = await CountsAsync(cluster);
        var rss = pids.Select(ProcessUsage.ResidentMebibytes).ToArray();
        var idleLoad = E2eLoadDriver.LoadAverage();
        // Leaders may have moved while idle (they should not): count them again after the window.
        var leadersAfter = await LeadersAsync(cluster, ids, cancellationToken);
        BenchOutput.Line(Bench, system,
            ("phase", "idle"), ("partitions", partitions), ("replicas", 3), ("silos", siloCount), ("run", run),
            ("cpu_percent_of_core", cpuPercent.Sum()), ("cpu_percent_per_silo", Join(cpuPercent)), ("goal_cpu_percent", 5), ("goal_met", cpuPercent.Sum() < 5),
            ("rss_mib_total", rss.Sum()), ("rss_mib_per_silo", Join(rss)),
            ("replicas_quiesced_before", countsBefore.Sum(c => c.Quiesced)), ("replicas_quiesced_after", countsAfter.Sum(c => c.Quiesced)),
            ("wakes_during_idle", countsAfter.Sum(c => c.Wakes) - countsBefore.Sum(c => c.Wakes)),
            ("leaders_per_silo", PerSilo(cluster, leaders)), ("leaders_per_silo_after_idle", PerSilo(cluster, leadersAfter)),
            ("create_s", createSeconds), ("create_per_s", partitions == 0 ? 0 : Math.Round(partitions / createSeconds, 1)), ("all_leaders_s", electSeconds), ("settle_s", settle.TotalSeconds), ("idle_s", idleSeconds),
            ("fsync", true), ("load_1m", idleLoad));

        if (partitions == 0) return;

        // (b) load over every partition.
        var client = new SpreadClient(ids.Select(id => cluster.Client.GetRaftPartition(id)).ToArray());
        cpuBefore = pids.Select(ProcessUsage.CpuTime).ToArray();
        var loadStart = Stopwatch.GetTimestamp();
        var measured = await E2eLoadDriver.RunAsync(client, valueBytes, concurrency, warmup, duration, cancellationToken);
        var loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
        var loadCpu = pids.Select((pid, i) => (ProcessUsage.CpuTime(pid) - cpuBefore[i]).TotalSeconds / loadSeconds * 100).ToArray();
        var fields = new List<(string, object)>
        {
            ("phase", "load"), ("partitions", partitions), ("replicas", 3), ("silos", siloCount), ("run", run), ("value_bytes", valueBytes), ("concurrency", concurrency),
            ("ops_per_s", measured.OpsPerSecond), ("p50_ms", measured.P50Milliseconds), ("p99_ms", measured.P99Milliseconds), ("errors", measured.Errors),
        };
        if (measured.FirstError is { } firstError) fields.Add(("first_error", firstError));
        fields.AddRange(
        [
            ("cpu_percent_of_core", loadCpu.Sum()), ("cpu_percent_per_silo", Join(loadCpu)),
            ("rss_mib_total", pids.Select(ProcessUsage.ResidentMebibytes).Sum()),
            ("fsync", true), ("load_1m", measured.LoadAverage), ("warmup_s", warmup.TotalSeconds), ("duration_s", duration.TotalSeconds),
        ]);
        BenchOutput.Line(Bench, system, fields.ToArray());
    }

    /// <summary>Creates one partition; creation is idempotent, so a call that timed out in the catalog's queue is made again.</summary>
    private static async Task CreateAsync(LuxCluster cluster, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.CreatePartitionWithoutWaitingAsync(id, cancellationToken);
                return;
            }
            catch (TimeoutException e) when (attempt < 5)
            {
                Console.Error.WriteLine($"multi: creating {id} timed out (attempt {attempt}), again: {e.Message.Split('.')[0]}");
            }
        }
    }

    /// <summary>Each silo's replica counts, from its node grain (answered without waking any replica).</summary>
    private static Task<SiloReplicaCounts[]> CountsAsync(LuxCluster cluster) =>
        Task.WhenAll(cluster.Silos.Select(s => cluster.Client.GetGrain<IRaftNodeGrain>(s.Name).GetReplicaCountsAsync()));

    /// <summary>The leader of every partition, by asking each for its status.</summary>
    private static async Task<Dictionary<string, string>> LeadersAsync(LuxCluster cluster, string[] ids, CancellationToken cancellationToken)
    {
        var leaders = new Dictionary<string, string>(StringComparer.Ordinal);
        await ForEachAsync(ids, StatusCallers, async id =>
        {
            var status = await cluster.WaitForLeaderAsync(id, cancellationToken);
            lock (leaders) leaders[id] = status.Leader!;
        }, cancellationToken);
        return leaders;
    }

    private static string PerSilo(LuxCluster cluster, Dictionary<string, string> leaders) =>
        string.Join(" ", cluster.Silos.Select(s => $"{s.Name}:{leaders.Values.Count(l => l == s.Name)}"));

    private static string Join(IEnumerable<double> values) => string.Join(" ", values.Select(v => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture)));

    private static Task ForEachAsync(string[] ids, int callers, Func<string, Task> action, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = callers, CancellationToken = cancellationToken }, async (id, _) => await action(id));

    /// <summary>Puts each write into the next partition in turn, so that every partition takes a share of the load.</summary>
    private sealed class SpreadClient(IRaftPartitionGrain[] partitions) : IE2eClient
    {
        private readonly LuxSystem.ValueCache values = new();
        private long next = -1;

        public async ValueTask ProposeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
        {
            var partition = partitions[(int)((ulong)Interlocked.Increment(ref next) % (ulong)partitions.Length)];
            await partition.ProposeAsync(new KeyValuePut { Key = System.Text.Encoding.UTF8.GetString(key.Span), Value = values.Get(value) }, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
