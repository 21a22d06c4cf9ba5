using System.Collections.Concurrent;
using System.Diagnostics;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;

namespace Lux.Samples.KeyValueStore;

/// <summary>
/// Writers that each own a set of keys and overwrite them in turn, reading every key back (linearizably) right after
/// its write was acknowledged. A write whose outcome is unknown (the call failed) is retried with the same value until
/// it is acknowledged, so the last write of every key is either acknowledged or, when the workload stops mid-retry,
/// recorded as in doubt. <see cref="VerifyAsync"/> then reads every key and counts those that do not hold the value
/// last acknowledged (or the one in doubt after it): the writes lost.
/// </summary>
public sealed class KeyValueWorkload
{
    private readonly IRaftPartitionGrain _partition;
    private readonly WorkloadOptions _options;
    private readonly ConcurrentDictionary<string, KeyHistory> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _anomalies = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource<TimeSpan> _firstWriteAfterMark = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _acknowledged;
    private long _reads;
    private long _staleReads;
    private long _failedAttempts;
    private long _markTicks = long.MaxValue;
    private long _lastAcknowledgementTicks;
    private long _longestGapTicks;
    private Exception? _lastFailure;

    /// <summary>Creates a workload against <paramref name="partition"/> (a partition running the key-value state machine).</summary>
    public KeyValueWorkload(IRaftPartitionGrain partition, WorkloadOptions? options = null)
    {
        _partition = partition;
        _options = options ?? new WorkloadOptions();
    }

    /// <summary>Writes acknowledged so far.</summary>
    public long AcknowledgedWrites => Interlocked.Read(ref _acknowledged);

    /// <summary>Linearizable reads answered so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Reads that did not see the writer's own acknowledged write (must stay 0).</summary>
    public long StaleReads => Interlocked.Read(ref _staleReads);

    /// <summary>Calls that failed and were retried (during elections and silo failures).</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>The longest time between two acknowledged writes (or from the start to the first one).</summary>
    public TimeSpan LongestAcknowledgementGap => TimeSpan.FromTicks(Interlocked.Read(ref _longestGapTicks));

    /// <summary>The last failure seen, for display.</summary>
    public Exception? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Descriptions of stale reads, the first few.</summary>
    public IReadOnlyCollection<string> Anomalies => _anomalies;

    /// <summary>
    /// Runs the writers until <paramref name="stop"/> is cancelled, then lets each finish (acknowledge) the write it has
    /// in hand, giving up after <see cref="WorkloadOptions.DrainTimeout"/> (that write is then in doubt).
    /// </summary>
    public Task RunAsync(CancellationToken stop)
    {
        Interlocked.Exchange(ref _lastAcknowledgementTicks, _clock.Elapsed.Ticks);
        return Task.WhenAll(Enumerable.Range(0, _options.Writers).Select(w => Task.Run(() => WriterAsync(w, stop), CancellationToken.None)));
    }

    /// <summary>
    /// Marks now (for example a kill); the returned task completes with the time from the mark to the acknowledgement of
    /// the first write that started after it: the pause the clients saw.
    /// </summary>
    public Task<TimeSpan> MarkAndMeasurePauseAsync()
    {
        Interlocked.Exchange(ref _markTicks, _clock.Elapsed.Ticks);
        return _firstWriteAfterMark.Task;
    }

    /// <summary>
    /// Reads every key written with <paramref name="consistency"/> and compares it with the value last acknowledged.
    /// Call after <see cref="RunAsync"/> has completed.
    /// </summary>
    public async Task<VerificationResult> VerifyAsync(ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken cancellationToken = default)
    {
        var lost = new ConcurrentBag<string>();
        long inDoubtApplied = 0;
        var keys = _keys.ToArray();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = _options.Writers, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            var (key, history) = entry;
            var value = (await RetryAsync(() => _partition.ReadAsync<KeyValueResult>(new KeyValueGet { Key = key }, consistency, ct), ct)).Value;
            if (value == history.LastAcknowledged) return;
            if (history.InDoubt is not null && value == history.InDoubt)
            {
                Interlocked.Increment(ref inDoubtApplied);
                return;
            }
            lost.Add($"{key}: acknowledged '{history.LastAcknowledged ?? "(nothing)"}'{(history.InDoubt is null ? "" : $" or in doubt '{history.InDoubt}'")}, read '{value ?? "(nothing)"}'");
        }).ConfigureAwait(false);
        return new VerificationResult(keys.Length, AcknowledgedWrites, keys.Count(k => k.Value.InDoubt is not null), inDoubtApplied, lost.Order(StringComparer.Ordinal).ToArray());
    }

    private async Task WriterAsync(int writer, CancellationToken stop)
    {
        for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            var key = $"w{writer:D2}-k{sequence % _options.KeysPerWriter:D3}";
            var value = $"{writer}:{sequence}";
            var history = _keys.GetOrAdd(key, _ => new KeyHistory());
            history.InDoubt = value;
            var drainDeadline = long.MaxValue;
            while (true)
            {
                var started = _clock.Elapsed.Ticks;
                try
                {
                    await _partition.ProposeAsync(new KeyValuePut { Key = key, Value = value }).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    Failed(e);
                    if (stop.IsCancellationRequested)
                    {
                        drainDeadline = Math.Min(drainDeadline, _clock.Elapsed.Ticks + _options.DrainTimeout.Ticks);
                        if (_clock.Elapsed.Ticks > drainDeadline) return;
                    }
                    await Task.Delay(_options.RetryBackoff, CancellationToken.None).ConfigureAwait(false);
                    continue;
                }
                history.LastAcknowledged = value;
                history.InDoubt = null;
                Interlocked.Increment(ref _acknowledged);
                Acknowledged();
                if (started >= Interlocked.Read(ref _markTicks)) _firstWriteAfterMark.TrySetResult(TimeSpan.FromTicks(_clock.Elapsed.Ticks - Interlocked.Read(ref _markTicks)));
                break;
            }
            await ReadBackAsync(key, value, stop).ConfigureAwait(false);
        }
    }

    private async Task ReadBackAsync(string key, string expected, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var read = await _partition.ReadAsync<KeyValueResult>(new KeyValueGet { Key = key }).ConfigureAwait(false);
                Interlocked.Increment(ref _reads);
                if (read.Value != expected)
                {
                    // This writer alone writes the key and its write was acknowledged: anything else is a stale read.
                    Interlocked.Increment(ref _staleReads);
                    if (_anomalies.Count < 10) _anomalies.Enqueue($"{key}: wrote '{expected}', read '{read.Value ?? "(nothing)"}'");
                }
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(e);
                await Task.Delay(_options.RetryBackoff, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var deadline = _clock.Elapsed + _options.DrainTimeout;
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && _clock.Elapsed < deadline)
            {
                Failed(e);
                await Task.Delay(_options.RetryBackoff, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Acknowledged()
    {
        var now = _clock.Elapsed.Ticks;
        var gap = now - Interlocked.Exchange(ref _lastAcknowledgementTicks, now);
        for (var longest = Interlocked.Read(ref _longestGapTicks); gap > longest; longest = Interlocked.Read(ref _longestGapTicks))
        {
            if (Interlocked.CompareExchange(ref _longestGapTicks, gap, longest) == longest) break;
        }
    }

    private void Failed(Exception e)
    {
        Interlocked.Increment(ref _failedAttempts);
        Volatile.Write(ref _lastFailure, e);
    }

    private sealed class KeyHistory
    {
        private string? _lastAcknowledged;
        private string? _inDoubt;

        /// <summary>The value of the key's last acknowledged write.</summary>
        public string? LastAcknowledged { get => Volatile.Read(ref _lastAcknowledged); set => Volatile.Write(ref _lastAcknowledged, value); }

        /// <summary>A write of the key whose outcome is not known (in flight, or abandoned when the workload stopped).</summary>
        public string? InDoubt { get => Volatile.Read(ref _inDoubt); set => Volatile.Write(ref _inDoubt, value); }
    }
}

/// <summary>How hard the workload pushes.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Concurrent writers; each owns its keys.</summary>
    public int Writers { get; init; } = 16;

    /// <summary>Keys per writer; each is overwritten again and again.</summary>
    public int KeysPerWriter { get; init; } = 16;

    /// <summary>Pause between retries of a failed call.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a writer keeps retrying its last write after the workload was told to stop.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The outcome of <see cref="KeyValueWorkload.VerifyAsync"/>.</summary>
/// <param name="KeysChecked">Keys read back.</param>
/// <param name="AcknowledgedWrites">Writes acknowledged during the run.</param>
/// <param name="InDoubt">Keys whose last write was never acknowledged (the workload stopped mid-retry).</param>
/// <param name="InDoubtApplied">Of those, the keys where the write in doubt turned out applied.</param>
/// <param name="Lost">Keys not holding their last acknowledged value: acknowledged writes lost. Must be empty.</param>
public sealed record VerificationResult(int KeysChecked, long AcknowledgedWrites, int InDoubt, long InDoubtApplied, IReadOnlyList<string> Lost);
