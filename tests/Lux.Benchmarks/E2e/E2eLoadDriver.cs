using System.Diagnostics;
using System.Text;

namespace Lux.Benchmarks.E2e;

/// <summary>What one measurement of one system at one point produced.</summary>
internal sealed record E2eMeasurement(double OpsPerSecond, double P50Milliseconds, double P99Milliseconds, long Operations, long Errors, string? FirstError, double LoadAverage);

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers, each proposing its own key again as soon as its previous proposal
/// completed. After the warm-up, every proposal completed inside the measured window counts: ops/s is completions per
/// second, and its latency (issue to completion) goes into the histogram.
/// </summary>
internal static class E2eLoadDriver
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<E2eMeasurement> RunAsync(IE2eClient client, int valueBytes, int concurrency, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var value = new byte[valueBytes];
        new Random(valueBytes).NextBytes(value);
        var window = new Window();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, concurrency).Select(i => new Worker(Encoding.UTF8.GetBytes($"bench/{i:D4}"))).ToArray();
        var running = workers.Select(w => Task.Run(() => w.RunAsync(client, value, window, stop.Token), CancellationToken.None)).ToArray();

        long start, end;
        double load;
        try
        {
            await Task.Delay(warmup, cancellationToken);
            start = Stopwatch.GetTimestamp();
            window.Open(start);
            await Task.Delay(duration, cancellationToken);
            end = Stopwatch.GetTimestamp();
            window.Close(end);
            load = LoadAverage();
        }
        finally
        {
            window.Close(Stopwatch.GetTimestamp());
            // Workers finish the proposal they are in; one that hangs past the drain timeout is cancelled.
            stop.CancelAfter(DrainTimeout);
            await Task.WhenAll(running);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var histogram = new LatencyHistogram();
        long errors = 0;
        foreach (var worker in workers)
        {
            histogram.Add(worker.Latencies);
            errors += worker.Errors;
        }
        var seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
        return new E2eMeasurement(histogram.Count / seconds, histogram.PercentileMilliseconds(50), histogram.PercentileMilliseconds(99),
            histogram.Count, errors, workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null), load);
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or -1 where there is none.</summary>
    public static double LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    /// <summary>The measured window in Stopwatch ticks; closed until opened, and everything after it is outside.</summary>
    private sealed class Window
    {
        private long start = long.MaxValue;
        private long end = long.MaxValue;

        public void Open(long at) => Volatile.Write(ref start, at);

        public void Close(long at)
        {
            if (!IsClosed) Volatile.Write(ref end, at);
        }

        public bool IsClosed => Volatile.Read(ref end) != long.MaxValue;

        public bool Contains(long at) => at >= Volatile.Read(ref start) && at <= Volatile.Read(ref end);
    }

    private sealed class Worker(byte[] key)
    {
        public LatencyHistogram Latencies { get; } = new();
        public long Errors { get; private set; }
        public string? FirstError { get; private set; }

        public async Task RunAsync(IE2eClient client, byte[] value, Window window, CancellationToken cancellationToken)
        {
            while (!window.IsClosed && !cancellationToken.IsCancellationRequested)
            {
                var issued = Stopwatch.GetTimestamp();
                try
                {
                    await client.ProposeAsync(key, value, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    var failed = Stopwatch.GetTimestamp();
                    if (window.Contains(failed))
                    {
                        Errors++;
                        FirstError ??= $"{e.GetType().Name}: {e.Message}";
                    }
                    // A failing system must not turn the worker into a busy loop that starves the machine.
                    await Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None);
                    continue;
                }
                var completed = Stopwatch.GetTimestamp();
                if (window.Contains(completed)) Latencies.Record(completed - issued);
            }
        }
    }
}
