using System.Diagnostics;
using System.Numerics;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// Latencies in <see cref="Stopwatch"/> ticks, counted in log-linear buckets (64 per power of two, so a percentile is
/// off by at most 1/64 of its value) in the manner of HdrHistogram: fixed memory whatever the run length, and cheap
/// to record into one per worker and merge afterwards.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private readonly long[] counts = new long[(64 - SubBucketBits + 1) << SubBucketBits];

    public long Count { get; private set; }

    public void Record(long ticks)
    {
        counts[IndexOf(Math.Max(0, ticks))]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < counts.Length; i++) counts[i] += other.counts[i];
        Count += other.Count;
    }

    /// <summary>The latency below which <paramref name="percent"/> % of the recorded ones fall, in milliseconds (0 when empty).</summary>
    public double PercentileMilliseconds(double percent)
    {
        if (Count == 0) return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(percent / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank) return Midpoint(i) * 1000.0 / Stopwatch.Frequency;
        }
        return Midpoint(counts.Length - 1) * 1000.0 / Stopwatch.Frequency;
    }

    private static int IndexOf(long value)
    {
        if (value < 2 * SubBuckets) return (int)value;
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = msb - SubBucketBits;
        return ((shift + 1) << SubBucketBits) + (int)((value >> shift) - SubBuckets);
    }

    private static double Midpoint(int index)
    {
        if (index < 2 * SubBuckets) return index;
        var shift = (index >> SubBucketBits) - 1;
        var top = (long)(index & (SubBuckets - 1)) + SubBuckets;
        return ((top << shift) + ((top + 1) << shift) - 1) / 2.0;
    }
}
