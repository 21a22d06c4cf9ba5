using System.Diagnostics;

namespace Lux.Benchmarks.E2e;

/// <summary>What the disk itself costs per durable write, measured in the same run as the systems.</summary>
internal sealed record FsyncMeasurement(double P50Milliseconds, double P99Milliseconds, long Syncs, double LoadAverage);

/// <summary>
/// The machine's fsync latency: append 4 KiB to a file and <c>Flush(true)</c> (fsync on Linux), in a loop, for a
/// while; the floor under any system's latency at concurrency 1, since each of them syncs at least once per write.
/// </summary>
internal static class FsyncProbe
{
    public const int BlockBytes = 4096;

    public static async Task<FsyncMeasurement> RunAsync(string directory, TimeSpan duration, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "fsync-probe.bin");
        var block = new byte[BlockBytes];
        new Random(BlockBytes).NextBytes(block);
        var histogram = new LatencyHistogram();
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                file.Write(block);
                file.Flush(flushToDisk: true);
                histogram.Record(Stopwatch.GetTimestamp() - start);
                // Keep the file from growing without bound on a fast disk: rewrite the first 64 MiB.
                if (file.Position >= 64 << 20) file.Position = 0;
            }
        }
        finally
        {
            File.Delete(path);
        }
        return new FsyncMeasurement(histogram.PercentileMilliseconds(50), histogram.PercentileMilliseconds(99), histogram.Count, E2eLoadDriver.LoadAverage());
    }
}
