using System.Diagnostics;
using System.Globalization;
using Lux.Benchmarks.E2e;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario <c>failover</c>: the silo process hosting a partition's leader is killed (SIGKILL) under a steady write
/// load. Each run starts a fresh cluster of silo processes (<see cref="LuxCluster"/>) with one key-value partition of 3
/// replicas; <c>--concurrency</c> writers each put increasing sequence numbers under their own key. After
/// <c>--before</c> seconds the leader's silo is killed; if the leader is on the primary silo, leadership is first
/// transferred to another silo, because localhost clustering keeps Orleans' membership table on the primary and the
/// cluster would not survive losing it. Measured: the time from the kill to the first write acknowledged after it.
/// After <c>--after</c> more seconds of load, every key is read back (linearizable) and compared with its last
/// acknowledged value: a key holding an older value (or none) is a lost write.
/// Options: --protocol tcp|http (default tcp) --runs 5 --concurrency 16 --value 16 --before 5 --after 10 --dir PATH.
/// </summary>
public static class FailoverScenario
{
    private const string Bench = "failover";
    private const string PartitionId = "failover";
    private const string PrimaryNote =
        "localhost clustering keeps the Orleans membership table on the primary silo (silo1): killing it would take the cluster down, so a leader found there is first moved to another silo with TransferLeadershipAsync";
    private static readonly TimeSpan GoalFirstCommit = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string[] args)
    {
        string protocol;
        int runs, concurrency, valueBytes;
        TimeSpan before, after;
        try
        {
            protocol = LuxRuns.Protocol(args);
            runs = BenchOutput.Ints(args, "runs", "5")[0];
            concurrency = BenchOutput.Ints(args, "concurrency", "16")[0];
            valueBytes = BenchOutput.Ints(args, "value", "16")[0];
            before = BenchOutput.Seconds(args, "before", "5");
            after = BenchOutput.Seconds(args, "after", "10");
            if (runs <= 0 || concurrency <= 0 || valueBytes < SequenceDigits || before <= TimeSpan.Zero || after <= TimeSpan.Zero)
                throw new FormatException($"runs, concurrency, before and after must be positive, value at least {SequenceDigits} bytes");
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
        {
            Console.Error.WriteLine($"failover: bad option: {e.Message}");
            return 2;
        }
        var system = "lux-" + protocol;
        var results = new List<FailoverRun>();
        var exitCode = await LuxRuns.RunAsync(Bench, protocol, runs, args, async (run, directory, cancellationToken) =>
        {
            var result = await RunOnceAsync(protocol, concurrency, valueBytes, before, after, directory, cancellationToken);
            results.Add(result);
            BenchOutput.Line(Bench, system,
                ("run", run), ("concurrency", concurrency), ("value_bytes", valueBytes), ("killed_silo", result.KilledSilo),
                ("leader_moved_off_primary", result.MovedOffPrimary), ("new_leader", result.NewLeader ?? "none"),
                ("first_commit_s", result.FirstCommit?.TotalSeconds ?? -1), ("steady_load_resumed_s", result.SteadyLoadResumed?.TotalSeconds ?? -1),
                ("steady_load_acks_per_s_after_kill", result.AcknowledgedPerSecond), ("acknowledged", result.Acknowledged),
                ("acknowledged_after_kill", result.AcknowledgedAfterKill), ("errors", result.Errors), ("keys_checked", result.KeysChecked),
                ("lost_writes", result.LostWrites), ("fsync", true), ("load_1m", result.LoadAverage),
                ("before_s", before.TotalSeconds), ("after_s", after.TotalSeconds));
        });
        if (exitCode != 0 || LuxCluster.MissingPrerequisite() is not null) return exitCode;

        var committed = results.Where(r => r.FirstCommit is not null).Select(r => r.FirstCommit!.Value.TotalSeconds).ToList();
        var lost = results.Sum(r => r.LostWrites);
        var median = BenchOutput.Median(committed);
        BenchOutput.Line(Bench, system,
            ("runs", runs), ("runs_completed", results.Count), ("runs_without_commit_after_kill", results.Count(r => r.FirstCommit is null)),
            ("first_commit_s_median", median), ("first_commit_s_max", committed.Count == 0 ? -1 : committed.Max()),
            ("runs_first_commit_s", string.Join(" ", committed.Select(c => Math.Round(c, 3).ToString(CultureInfo.InvariantCulture)))),
            ("lost_writes_total", lost), ("goal_first_commit_s", GoalFirstCommit.TotalSeconds),
            ("goal_met", results.Count == runs && committed.Count == runs && median < GoalFirstCommit.TotalSeconds && lost == 0),
            ("runs_leader_moved_off_primary", results.Count(r => r.MovedOffPrimary)), ("note", PrimaryNote),
            ("concurrency", concurrency), ("value_bytes", valueBytes), ("fsync", true), ("load_1m", E2eLoadDriver.LoadAverage()));
        return 0;
    }

    private const int SequenceDigits = 10;

    private sealed record FailoverRun(string KilledSilo, bool MovedOffPrimary, string? NewLeader, TimeSpan? FirstCommit, TimeSpan? SteadyLoadResumed,
        string AcknowledgedPerSecond, long Acknowledged,
        long AcknowledgedAfterKill, long Errors, int KeysChecked, int LostWrites, double LoadAverage);

    private static async Task<FailoverRun> RunOnceAsync(string protocol, int concurrency, int valueBytes, TimeSpan before, TimeSpan after, string directory,
        CancellationToken cancellationToken)
    {
        await using var cluster = await LuxCluster.StartAsync(protocol, 3, directory, cancellationToken);
        var status = await cluster.CreatePartitionAsync(PartitionId, cancellationToken);
        var partition = cluster.Client.GetRaftPartition(PartitionId);
        var movedOffPrimary = false;
        if (cluster.Silo(status.Leader!).IsPrimary)
        {
            var target = status.Members.Select(m => m.Silo).First(s => !cluster.Silo(s).IsPrimary);
            await partition.TransferLeadershipAsync(target, cancellationToken);
            status = await cluster.WaitForLeaderAsync(PartitionId, cancellationToken);
            movedOffPrimary = true;
            if (cluster.Silo(status.Leader!).IsPrimary) throw new InvalidOperationException($"leadership went back to the primary silo after the transfer to {target}");
        }

        var load = new WriteLoad(partition, concurrency, valueBytes);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writers = load.Start(stop.Token);
        try
        {
            await Task.Delay(before, cancellationToken);
            if (load.Acknowledged == 0) throw new InvalidOperationException($"no write was acknowledged in the {before.TotalSeconds} s before the kill");
            var leader = (await partition.GetStatusAsync(cancellationToken)).Leader!;
            if (cluster.Silo(leader).IsPrimary) throw new InvalidOperationException("the leader moved to the primary silo under load; not killing the membership table's holder");
            var victim = cluster.Silo(leader);
            var acknowledgedAtKill = load.Acknowledged;
            if (!victim.Process.Crash()) throw new InvalidOperationException($"{victim.Name} could not be sent SIGKILL (it had exited: {victim.Process.RecentOutput})");
            load.MarkKill(Stopwatch.GetTimestamp());
            var probing = load.ProbeAsync(stop.Token);
            Console.Error.WriteLine($"failover: killed {victim.Name} (pid {victim.Process.Id}, leader of '{PartitionId}'{(movedOffPrimary ? ", moved off the primary first" : "")}) with {acknowledgedAtKill} writes acknowledged");
            await Task.Delay(after, cancellationToken);
            load.Stop();
            await stop.CancelAsync();
            await writers;
            await probing;
            var newLeader = (await partition.GetStatusAsync(cancellationToken)).Leader;
            var (checkedKeys, lost) = await load.VerifyAsync(cancellationToken);
            Console.Error.WriteLine($"failover: first commit after kill {load.FirstCommitAfterKill?.TotalSeconds:F3} s; new leader {newLeader}; {load.Acknowledged} acknowledged, {lost} lost, {load.Errors} errors; acknowledged per second after the kill: {load.AcknowledgedPerSecondAfterKill()}");
            return new FailoverRun(victim.Name, movedOffPrimary, newLeader, load.FirstCommitAfterKill, load.SteadyLoadResumed, load.AcknowledgedPerSecondAfterKill(), load.Acknowledged, load.Acknowledged - acknowledgedAtKill,
                load.Errors, checkedKeys, lost, E2eLoadDriver.LoadAverage());
        }
        finally
        {
            load.Stop();
            await stop.CancelAsync();
            await writers;
        }
    }

    /// <summary>
    /// Writers that each put increasing sequence numbers under their own key and remember the last one acknowledged,
    /// and the highest one attempted (a failed write's outcome is unknown: it may have been applied).
    /// </summary>
    private sealed class WriteLoad(IRaftPartitionGrain partition, int concurrency, int valueBytes)
    {
        private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);
        private readonly long[] lastAcknowledged = Enumerable.Repeat(-1L, concurrency).ToArray();
        private readonly System.Collections.Concurrent.ConcurrentBag<long> acknowledgedAt = [];
        private readonly System.Collections.Concurrent.ConcurrentBag<string> probesAcknowledged = [];
        private readonly long[] lastAttempted = Enumerable.Repeat(-1L, concurrency).ToArray();
        private long acknowledged;
        private long errors;
        private long killedAt;
        private long firstCommitAfterKill = long.MaxValue;
        private volatile bool stopped;

        public long Acknowledged => Interlocked.Read(ref acknowledged);

        public long Errors => Interlocked.Read(ref errors);

        /// <summary>
        /// From the kill to the first acknowledged probe, or null if none was. Probes are writes issued only after the
        /// kill, one every <see cref="ProbeInterval"/> without waiting for the previous ones, so the first one
        /// acknowledged was committed after the kill (an acknowledgment of the steady load arriving just after the kill
        /// may be for a write the old leader committed just before it).
        /// </summary>
        public TimeSpan? FirstCommitAfterKill
        {
            get
            {
                var first = Interlocked.Read(ref firstCommitAfterKill);
                return first == long.MaxValue ? null : Stopwatch.GetElapsedTime(Interlocked.Read(ref killedAt), first);
            }
        }

        /// <summary>From the kill to the steady load's first acknowledgment after it (writes in flight at the kill included), or null.</summary>
        public TimeSpan? SteadyLoadResumed
        {
            get
            {
                var kill = Interlocked.Read(ref killedAt);
                var after = acknowledgedAt.Where(t => t > kill).DefaultIfEmpty(long.MaxValue).Min();
                return after == long.MaxValue ? null : Stopwatch.GetElapsedTime(kill, after);
            }
        }

        /// <summary>The steady load's acknowledgments in each second after the kill, for the log.</summary>
        public string AcknowledgedPerSecondAfterKill()
        {
            var kill = Interlocked.Read(ref killedAt);
            var seconds = acknowledgedAt.Where(t => t > kill).Select(t => (int)Stopwatch.GetElapsedTime(kill, t).TotalSeconds).ToList();
            return seconds.Count == 0 ? "none" : string.Join(" ", Enumerable.Range(0, seconds.Max() + 1).Select(s => seconds.Count(x => x == s)));
        }

        /// <summary>Issues probe writes from the kill until the first one is acknowledged (or the load stops).</summary>
        public async Task ProbeAsync(CancellationToken cancellationToken)
        {
            var probes = new List<Task>();
            for (var n = 0; !stopped && !cancellationToken.IsCancellationRequested && Interlocked.Read(ref firstCommitAfterKill) == long.MaxValue; n++)
            {
                probes.Add(ProbeOnceAsync($"failover/probe-{n:D5}", cancellationToken));
                try
                {
                    await Task.Delay(ProbeInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            await Task.WhenAll(probes);
        }

        private async Task ProbeOnceAsync(string key, CancellationToken cancellationToken)
        {
            try
            {
                await partition.ProposeAsync(new KeyValuePut { Key = key, Value = Value(0) }, cancellationToken);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return;
            }
            var now = Stopwatch.GetTimestamp();
            probesAcknowledged.Add(key);
            var current = Interlocked.Read(ref firstCommitAfterKill);
            while (now < current)
            {
                var seen = Interlocked.CompareExchange(ref firstCommitAfterKill, now, current);
                if (seen == current) break;
                current = seen;
            }
        }

        public void MarkKill(long timestamp) => Interlocked.Exchange(ref killedAt, timestamp);

        public void Stop() => stopped = true;

        public Task Start(CancellationToken cancellationToken) =>
            Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(() => WriteAsync(i, cancellationToken), CancellationToken.None)));

        private static string Key(int writer) => $"failover/{writer:D4}";

        private string Value(long sequence) => sequence.ToString($"D{SequenceDigits}", CultureInfo.InvariantCulture).PadRight(valueBytes, 'x');

        private async Task WriteAsync(int writer, CancellationToken cancellationToken)
        {
            for (long sequence = 0; !stopped && !cancellationToken.IsCancellationRequested; sequence++)
            {
                Volatile.Write(ref lastAttempted[writer], sequence);
                try
                {
                    await partition.ProposeAsync(new KeyValuePut { Key = Key(writer), Value = Value(sequence) }, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) == 1) Console.Error.WriteLine($"failover: first failed write: {e.GetType().Name}: {e.Message}");
                    await Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None);
                    continue;
                }
                Volatile.Write(ref lastAcknowledged[writer], sequence);
                Interlocked.Increment(ref acknowledged);
                if (Interlocked.Read(ref killedAt) != 0) acknowledgedAt.Add(Stopwatch.GetTimestamp());
            }
        }

        /// <summary>
        /// Reads every key (linearizable) once the writers have stopped: its value must be its last acknowledged write or
        /// a later attempted one whose outcome was unknown. Returns the keys checked and the writes lost.
        /// </summary>
        public async Task<(int Checked, int Lost)> VerifyAsync(CancellationToken cancellationToken)
        {
            var lost = 0;
            var checkedKeys = 0;
            for (var writer = 0; writer < concurrency; writer++)
            {
                var acked = Volatile.Read(ref lastAcknowledged[writer]);
                if (acked < 0) continue;
                checkedKeys++;
                var result = await partition.ReadAsync<KeyValueResult>(new KeyValueGet { Key = Key(writer) }, ReadConsistency.Linearizable, cancellationToken);
                var read = result.Value is { Length: >= SequenceDigits } value && long.TryParse(value.AsSpan(0, SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
                if (read < acked)
                {
                    lost++;
                    Console.Error.WriteLine($"failover: LOST: {Key(writer)} holds {(read < 0 ? "nothing" : read)} but {acked} was acknowledged");
                }
                else if (read > Volatile.Read(ref lastAttempted[writer]))
                {
                    throw new InvalidOperationException($"{Key(writer)} holds {read}, which was never written (last attempted {lastAttempted[writer]})");
                }
            }
            foreach (var key in probesAcknowledged)
            {
                checkedKeys++;
                var result = await partition.ReadAsync<KeyValueResult>(new KeyValueGet { Key = key }, ReadConsistency.Linearizable, cancellationToken);
                if (result.Value != Value(0))
                {
                    lost++;
                    Console.Error.WriteLine($"failover: LOST: acknowledged probe {key} holds {result.Value ?? "nothing"}");
                }
            }
            return (checkedKeys, lost);
        }
    }
}
