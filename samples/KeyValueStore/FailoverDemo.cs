using System.Diagnostics;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;

namespace Lux.Samples.KeyValueStore;

/// <summary>Settings of one failover demo run.</summary>
public sealed record DemoOptions
{
    /// <summary>The partition the workload writes to.</summary>
    public string PartitionId { get; init; } = "kv-demo";

    /// <summary>The name the key-value state machine is registered under on the silos.</summary>
    public string StateMachine { get; init; } = KeyValueStateMachine.DefaultName;

    /// <summary>Replicas of the partition.</summary>
    public int ReplicationFactor { get; init; } = 3;

    /// <summary>Run the workload at least this long before the kill...</summary>
    public TimeSpan BeforeKill { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>...and until at least this many writes are acknowledged.</summary>
    public long MinWritesBeforeKill { get; init; } = 100;

    /// <summary>Keep going at least this long after the kill...</summary>
    public TimeSpan AfterKill { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>...and until at least this many more writes are acknowledged.</summary>
    public long MinWritesAfterKill { get; init; } = 100;

    /// <summary>How long any one step (creating the partition, electing a new leader, the first write after the kill) may take.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The workload's shape.</summary>
    public WorkloadOptions Workload { get; init; } = new();

    /// <summary>Kill the leader's silo part-way (the main job); false: just run, for silos killed by hand.</summary>
    public bool KillLeader { get; init; } = true;

    /// <summary>After the kill, start the killed silo again and wait until its replica has caught up.</summary>
    public bool RestartKilledSilo { get; init; } = true;

    /// <summary>Overwrite the progress line in place (a terminal) rather than printing one line per interval (a log).</summary>
    public bool LiveProgress { get; init; }

    /// <summary>How often progress is shown.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What one failover demo run measured.</summary>
public sealed record DemoResult
{
    /// <summary>The silo that led the partition when it was killed (without a kill: when the workload started).</summary>
    public required string LeaderBefore { get; init; }

    /// <summary>The silo that led the partition at the end.</summary>
    public required string LeaderAfter { get; init; }

    /// <summary>Terms before the kill and at the end.</summary>
    public required (ulong Before, ulong After) Terms { get; init; }

    /// <summary>From the kill until a status call first named a new leader (null without a kill).</summary>
    public required TimeSpan? NewLeaderSeen { get; init; }

    /// <summary>From the kill until the first write issued after it was acknowledged: the pause clients saw (null without a kill).</summary>
    public required TimeSpan? Pause { get; init; }

    /// <summary>From the restart of the killed silo until its replica had caught up with the leader (null without a restart).</summary>
    public TimeSpan? CaughtUp { get; init; }

    /// <summary>The longest time without any acknowledged write during the run.</summary>
    public required TimeSpan LongestGap { get; init; }

    /// <summary>Linearizable reads answered and those that missed the reader's own acknowledged write (must be 0).</summary>
    public required (long Reads, long Stale) Reads { get; init; }

    /// <summary>Failed calls the workload retried.</summary>
    public required long RetriedCalls { get; init; }

    /// <summary>Operations per second over the whole workload (writes + reads).</summary>
    public required double OpsPerSecond { get; init; }

    /// <summary>The final check of every key.</summary>
    public required VerificationResult Verification { get; init; }

    /// <summary>True when nothing acknowledged was lost and no read was stale.</summary>
    public bool Passed => Verification.Lost.Count == 0 && Reads.Stale == 0;
}

/// <summary>
/// The main job: creates a key-value partition, keeps its leader off the primary silo, runs the workload with a progress
/// display, kills the leader's silo part-way, measures the pause, keeps going, then checks every key.
/// </summary>
public sealed class FailoverDemo(IDemoCluster cluster, DemoOptions options, TextWriter output)
{
    private readonly Stopwatch _clock = new();
    private volatile string _leader = "?";

    /// <summary>
    /// Runs the demo and returns what it measured; <see cref="DemoResult.Passed"/> says whether it succeeded.
    /// <paramref name="finishEarly"/> ends the workload phase early (Ctrl+C in the by-hand mode) and goes on to verify.
    /// </summary>
    public async Task<DemoResult> RunAsync(CancellationToken cancellationToken, CancellationToken finishEarly = default)
    {
        _clock.Start();
        var partition = cluster.Client.GetRaftPartition(options.PartitionId);
        await CreatePartitionAsync(cancellationToken).ConfigureAwait(false);
        await UntilAsync("the first write", async () =>
        {
            await partition.ProposeAsync(new KeyValuePut { Key = "demo:started", Value = DateTime.UtcNow.ToString("O") }, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        var initial = await KeepLeaderOffPrimaryAsync(partition, cancellationToken).ConfigureAwait(false);

        var workload = new KeyValueWorkload(partition, options.Workload);
        using var stop = new CancellationTokenSource();
        using var display = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workloadStarted = _clock.Elapsed;
        var run = workload.RunAsync(stop.Token);
        var watcher = Task.Run(() => WatchLeaderAsync(partition, display.Token), CancellationToken.None);
        var progress = Task.Run(() => ShowProgressAsync(workload, display.Token), CancellationToken.None);
        try
        {
            Say($"workload: {options.Workload.Writers} writers x {options.Workload.KeysPerWriter} keys, each write read back linearizably");
            await UntilAsync("writes before the kill", () => Task.FromResult(finishEarly.IsCancellationRequested ||
                    (_clock.Elapsed - workloadStarted >= options.BeforeKill && workload.AcknowledgedWrites >= options.MinWritesBeforeKill)),
                cancellationToken).ConfigureAwait(false);

            var before = options.KillLeader
                ? await KeepLeaderOffPrimaryAsync(partition, cancellationToken).ConfigureAwait(false)
                : initial;
            var leaderBefore = before.Leader ?? "(none)";
            var (newLeaderSeen, pauseTime) = options.KillLeader
                ? await KillLeaderAsync(partition, workload, before, cancellationToken).ConfigureAwait(false)
                : ((TimeSpan?)null, (TimeSpan?)null);
            var caughtUp = options.KillLeader && options.RestartKilledSilo
                ? await RestartAsync(partition, leaderBefore, cancellationToken).ConfigureAwait(false)
                : (TimeSpan?)null;
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
            var workloadTime = _clock.Elapsed - workloadStarted;
            await display.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watcher, progress).ConfigureAwait(false);

            Say($"workload stopped; verifying every key with linearizable reads ...");
            var verification = await workload.VerifyAsync(ReadConsistency.Linearizable, cancellationToken).ConfigureAwait(false);
            var final = await partition.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            return new DemoResult
            {
                LeaderBefore = leaderBefore,
                LeaderAfter = final.Leader ?? "(none)",
                Terms = (before.Term, final.Term),
                NewLeaderSeen = newLeaderSeen,
                Pause = pauseTime,
                CaughtUp = caughtUp,
                LongestGap = workload.LongestAcknowledgementGap,
                Reads = (workload.Reads, workload.StaleReads),
                RetriedCalls = workload.FailedAttempts,
                OpsPerSecond = (workload.AcknowledgedWrites + workload.Reads) / workloadTime.TotalSeconds,
                Verification = verification,
            };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await display.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(run, watcher, progress).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Prints the summary of <paramref name="result"/>.</summary>
    public static void PrintSummary(DemoResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var v = result.Verification;
        output.WriteLine();
        output.WriteLine("================ summary ================");
        output.WriteLine($"writes acknowledged   {v.AcknowledgedWrites:N0}");
        output.WriteLine($"linearizable reads    {result.Reads.Reads:N0} (stale: {result.Reads.Stale})");
        output.WriteLine($"throughput            {result.OpsPerSecond:N0} ops/s (writes + reads)");
        output.WriteLine($"keys verified         {v.KeysChecked:N0} ({v.InDoubt} with a last write in doubt, {v.InDoubtApplied} of those applied)");
        output.WriteLine($"LOST                  {v.Lost.Count}");
        output.WriteLine($"{(result.Pause is null ? "leader at start / end" : "leader before / after")} {result.LeaderBefore} (term {result.Terms.Before}) -> {result.LeaderAfter} (term {result.Terms.After})");
        if (result.NewLeaderSeen is { } seen) output.WriteLine($"new leader seen after {seen.TotalSeconds:F2} s");
        if (result.Pause is { } pause) output.WriteLine($"pause                 {pause.TotalSeconds:F2} s (kill -> first acknowledged write issued after it)");
        if (result.CaughtUp is { } caughtUp) output.WriteLine($"restarted silo        {result.LeaderBefore} caught up {caughtUp.TotalSeconds:F2} s after its restart (WAL reopened, missing entries from the leader)");
        output.WriteLine($"longest write gap     {result.LongestGap.TotalSeconds:F2} s");
        output.WriteLine($"calls retried         {result.RetriedCalls:N0}");
        foreach (var lost in v.Lost.Take(20)) output.WriteLine($"  lost: {lost}");
        output.WriteLine(result.Passed ? "RESULT: PASS - every acknowledged write is readable with its last acknowledged value" : "RESULT: FAIL");
    }

    private async Task<(TimeSpan?, TimeSpan?)> KillLeaderAsync(IRaftPartitionGrain partition, KeyValueWorkload workload, PartitionStatus before, CancellationToken cancellationToken)
    {
        var leaderBefore = before.Leader!;
        var killed = await cluster.KillAsync(leaderBefore, cancellationToken).ConfigureAwait(false);
        // Marked once the silo is gone (a SIGKILLed process is reaped within milliseconds; an in-process kill takes
        // longer), so no write the old leader could still acknowledge counts as the first one after the kill.
        var pause = workload.MarkAndMeasurePauseAsync();
        var killedAt = _clock.Elapsed;
        var acknowledgedAtKill = workload.AcknowledgedWrites;
        Say($"KILLED the leader's silo {killed} at {killedAt.TotalSeconds:F1} s, after {acknowledgedAtKill:N0} acknowledged writes (term {before.Term})");

        PartitionStatus? after = null;
        await UntilAsync("a new leader", async () =>
        {
            after = await partition.GetStatusAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return after.Leader is not null && after.Leader != leaderBefore;
        }, cancellationToken).ConfigureAwait(false);
        var newLeaderSeen = _clock.Elapsed - killedAt;
        Say($"new leader: {after!.Leader} (term {after.Term}), seen {newLeaderSeen.TotalSeconds:F2} s after the kill");
        var pauseTime = await pause.WaitAsync(options.StepTimeout, cancellationToken).ConfigureAwait(false);
        Say($"writes resumed: first write issued after the kill acknowledged {pauseTime.TotalSeconds:F2} s after the kill");

        await UntilAsync("writes after the kill", () => Task.FromResult(_clock.Elapsed - killedAt >= options.AfterKill && workload.AcknowledgedWrites >= acknowledgedAtKill + options.MinWritesAfterKill),
            cancellationToken).ConfigureAwait(false);
        return (newLeaderSeen, pauseTime);
    }

    /// <summary>Starts the killed silo again, under load, and waits until the leader reports its replica caught up.</summary>
    private async Task<TimeSpan> RestartAsync(IRaftPartitionGrain partition, string silo, CancellationToken cancellationToken)
    {
        var target = (await partition.GetStatusAsync(cancellationToken).ConfigureAwait(false)).CommitIndex;
        var restartedAt = _clock.Elapsed;
        var started = await cluster.RestartAsync(silo, cancellationToken).ConfigureAwait(false);
        Say($"restarted {started} with its data directory; waiting for its replica to reach index {target:N0}");
        ulong matched = 0;
        await UntilAsync($"{silo} to catch up", async () =>
        {
            var status = await partition.GetStatusAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var member = status.Members.FirstOrDefault(m => m.Silo == silo);
            matched = member?.MatchIndex ?? 0;
            return member is { RecentActive: true } && member.MatchIndex >= target;
        }, cancellationToken).ConfigureAwait(false);
        var caughtUp = _clock.Elapsed - restartedAt;
        Say($"{silo} is back: its replica holds index {matched:N0}, {caughtUp.TotalSeconds:F2} s after the restart");
        return caughtUp;
    }

    private async Task CreatePartitionAsync(CancellationToken cancellationToken)
    {
        PartitionInfo? info = null;
        await UntilAsync($"partition '{options.PartitionId}' with {options.ReplicationFactor} replicas", async () =>
        {
            info = await cluster.Client.GetRaftCatalog().CreatePartitionAsync(options.PartitionId, options.StateMachine, options.ReplicationFactor, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        Say($"partition '{info!.PartitionId}' ({info.StateMachine}) on {string.Join(", ", info.Silos)}");
    }

    /// <summary>
    /// With localhost clustering the primary silo holds the membership table; killing it would take the whole cluster
    /// down, so the leader is moved to another member first.
    /// </summary>
    private async Task<PartitionStatus> KeepLeaderOffPrimaryAsync(IRaftPartitionGrain partition, CancellationToken cancellationToken)
    {
        PartitionStatus? status = null;
        await UntilAsync("a leader", async () =>
        {
            status = await partition.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            return status.Leader is not null;
        }, cancellationToken).ConfigureAwait(false);
        if (status!.Leader != cluster.PrimarySilo) return status;
        var target = status.Members.Where(m => m.Role == ReplicaRole.Voter && m.Silo != cluster.PrimarySilo).Select(m => m.Silo).Order(StringComparer.Ordinal).First();
        Say($"leader is on {cluster.PrimarySilo}, the primary silo (it holds the membership table; killing it would stop the cluster): transferring leadership to {target}");
        await UntilAsync($"leadership on {target}", async () =>
        {
            await partition.TransferLeadershipAsync(target, cancellationToken).ConfigureAwait(false);
            status = await partition.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            return status.Leader == target;
        }, cancellationToken).ConfigureAwait(false);
        Say($"leader is now {status.Leader} (term {status.Term})");
        return status;
    }

    private async Task WatchLeaderAsync(IRaftPartitionGrain partition, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        string? last = null;
        while (await TickAsync(timer, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var status = await partition.GetStatusAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                _leader = status.Leader is null ? "(electing)" : $"{status.Leader} (term {status.Term})";
                if (last is not null && status.Leader is not null && status.Leader != last) Say($"leader changed: {last} -> {status.Leader} (term {status.Term})");
                if (status.Leader is not null) last = status.Leader;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _leader = "(unknown: status call failed)";
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ShowProgressAsync(KeyValueWorkload workload, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ProgressInterval);
        var lastOps = 0L;
        var lastTime = _clock.Elapsed;
        while (await TickAsync(timer, cancellationToken).ConfigureAwait(false))
        {
            var ops = workload.AcknowledgedWrites + workload.Reads;
            var now = _clock.Elapsed;
            var rate = (ops - lastOps) / Math.Max(0.001, (now - lastTime).TotalSeconds);
            (lastOps, lastTime) = (ops, now);
            var line = $"[{now.TotalSeconds,6:F1} s] {rate,7:N0} ops/s | writes acked {workload.AcknowledgedWrites,8:N0} | reads {workload.Reads,8:N0} | retried {workload.FailedAttempts,5:N0} | leader {_leader}";
            lock (output)
            {
                if (options.LiveProgress) output.Write("\r" + line.PadRight(118));
                else output.WriteLine(line);
            }
        }
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Say(string message)
    {
        lock (output)
        {
            if (options.LiveProgress) output.Write("\r" + new string(' ', 118) + "\r");
            output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; failures of the check count as "not yet". Throws after the step timeout.</summary>
    private async Task UntilAsync(string what, Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var deadline = _clock.Elapsed + options.StepTimeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            if (_clock.Elapsed > deadline) throw new TimeoutException($"Gave up waiting for {what} after {options.StepTimeout.TotalSeconds:F0} s{(last is null ? "" : $": {last.Message}")}", last);
            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
