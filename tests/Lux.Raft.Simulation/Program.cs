using System.Diagnostics;
using System.Globalization;
using Lux.Raft.Simulation;

// dotnet run --project tests/Lux.Raft.Simulation -- --seeds N [--seed S] [--steps K] [--replicas 3|5] [--trace] [--unsafe-ack] [--unsafe-no-dedup]
//     [--no-membership] [--no-snapshots] [--no-retries] [--lease-reads] [--drift 0.05] [--lease-ticks T]
static string? Option(string[] args, string name)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

var seeds = int.Parse(Option(args, "seeds") ?? "1", CultureInfo.InvariantCulture);
var first = ulong.Parse(Option(args, "seed") ?? "1", CultureInfo.InvariantCulture);
var steps = int.Parse(Option(args, "steps") ?? "2000", CultureInfo.InvariantCulture);
var replicasOption = Option(args, "replicas");
var trace = args.Contains("--trace");
var unsafeAck = args.Contains("--unsafe-ack");
var unsafeNoDedup = args.Contains("--unsafe-no-dedup");
var membership = !args.Contains("--no-membership");
var snapshotsOn = !args.Contains("--no-snapshots");
var retries = !args.Contains("--no-retries");
var leaseReads = args.Contains("--lease-reads");
var drift = double.Parse(Option(args, "drift") ?? "0", CultureInfo.InvariantCulture);
var leaseTicks = int.Parse(Option(args, "lease-ticks") ?? "0", CultureInfo.InvariantCulture);

var violations = 0;
var failedSeeds = new List<ulong>();
long writes = 0, reads = 0, unknown = 0, leaders = 0, crashes = 0, changes = 0, undecided = 0, snapshots = 0, staleReads = 0, writeRetries = 0;
var watch = Stopwatch.StartNew();
var lockObj = new object();
var seedList = Enumerable.Range(0, seeds).Select(i => first + (ulong)i).ToList();
Parallel.ForEach(seedList, new ParallelOptions { MaxDegreeOfParallelism = trace ? 1 : Environment.ProcessorCount }, seed =>
{
    // Alternate cluster sizes unless one is asked for: odd seeds 3 replicas, even seeds 5.
    var replicas = replicasOption is null ? (seed % 2 == 1 ? 3 : 5) : int.Parse(replicasOption, CultureInfo.InvariantCulture);
    var result = Simulation.Run(new SimulationOptions { Seed = seed, Steps = steps, Replicas = replicas, Trace = trace, UnsafeAcknowledgeBeforeSync = unsafeAck, UnsafeNoDeduplication = unsafeNoDedup, MembershipChanges = membership, Snapshots = snapshotsOn,
        RetryWrites = retries, LeaseReads = leaseReads, ClockDrift = drift, LeaseTicks = leaseTicks });
    lock (lockObj)
    {
        writes += result.Stats.WritesAcknowledged;
        reads += result.Stats.ReadsServed;
        unknown += result.Stats.WritesUnknown;
        leaders += result.Stats.LeadersElected;
        crashes += result.Stats.Crashes;
        changes += result.Stats.MembershipChanges;
        snapshots += result.Stats.SnapshotsInstalled;
        staleReads += result.Stats.StaleReads;
        writeRetries += result.Stats.WriteRetries;
        if (result.Ok && result.Stats.Linearizability == Lux.Raft.Simulation.Linearizability.CheckOutcome.Unknown) undecided++;
        if (!result.Ok)
        {
            violations += result.Violations.Count;
            failedSeeds.Add(seed);
            Console.WriteLine($"seed {seed} ({replicas} replicas): {result.Violations.Count} violation(s)");
            foreach (var v in result.Violations) Console.WriteLine("  " + v);
        }
        else if (seeds == 1)
        {
            Console.WriteLine($"seed {seed} ({replicas} replicas): ok, {result.Stats}");
        }
    }
});
Console.WriteLine($"simulation: {seeds} seeds from {first}, {steps} steps each, {violations} violations in {failedSeeds.Count} seeds; " +
    $"{leaders} leaders elected, {crashes} crashes, {changes} membership changes, {snapshots} snapshots installed, {writes} writes acknowledged, {unknown} unknown, {writeRetries} write retries, {reads} linearizable reads{(leaseReads ? $" (lease, drift {drift:P0})" : "")}, {staleReads} stale reads; linearizability undecided (search budget) in {undecided} seeds; {watch.Elapsed.TotalSeconds:F1} s");
if (failedSeeds.Count > 0) Console.WriteLine("failed seeds: " + string.Join(" ", failedSeeds.Order()));
return failedSeeds.Count == 0 ? 0 : 1;
