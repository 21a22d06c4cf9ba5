using System.Buffers.Binary;
using System.Diagnostics;
using Lux.Raft;
using Lux.Raft.Storage.LiteDb;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario "wal": durable (fsynced) appends through the LiteDB WAL against the disk's limit, a raw FileStream append of
/// the same bytes plus Flush(true), taking turns batch by batch in the same run (the machine is shared and its disk noisy). With --start it instead measures
/// how long a silo takes to open a WAL holding many partitions' logs.
/// Options: --sizes 16,1024 --per-sync 1,16,256,1024 --rounds 5 --seconds 1 --dir PATH --group 64 --system both|lux|raw --stats
///          --start [--partitions 1000 --entries 10000 --rounds 5 --dir PATH]
/// </summary>
public static class WalScenario
{
    private static bool s_stats;

    public static async Task<int> RunAsync(string[] args)
    {
        var dir = BenchOutput.Option(args, "dir") ?? Path.Combine(Path.GetTempPath(), "lux-bench-wal");
        var rounds = int.Parse(BenchOutput.Option(args, "rounds") ?? "5");
        if (args.Contains("--start"))
        {
            return await StartAsync(dir, rounds, int.Parse(BenchOutput.Option(args, "partitions") ?? "1000"),
                int.Parse(BenchOutput.Option(args, "entries") ?? "10000"), int.Parse(BenchOutput.Option(args, "entry-bytes") ?? "16"));
        }
        var sizes = (BenchOutput.Option(args, "sizes") ?? "16,1024").Split(',').Select(int.Parse).ToArray();
        var perSync = (BenchOutput.Option(args, "per-sync") ?? "1,16,256,1024").Split(',').Select(int.Parse).ToArray();
        var seconds = double.Parse(BenchOutput.Option(args, "seconds") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var group = int.Parse(BenchOutput.Option(args, "group") ?? "64");
        var systems = BenchOutput.Option(args, "system") ?? "both";
        s_stats = args.Contains("--stats");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);

        foreach (var size in sizes)
        {
            foreach (var n in perSync)
            {
                var raw = new List<Point>();
                var wal = new List<Point>();
                for (var r = 0; r < rounds; r++)
                {
                    var (rawPoint, walPoint) = await Paired(Path.Combine(dir, "raw.bin"), Path.Combine(dir, $"wal-{size}-{n}-{r}"), size, n, seconds, systems);
                    if (rawPoint is { } rp) raw.Add(rp);
                    if (walPoint is { } wp) wal.Add(wp);
                }
                Point? rawMedian = raw.Count > 0 ? Point.Median(raw) : null;
                if (rawMedian is { } rm) Emit("raw-disk", size, n, rounds, rm, null);
                if (wal.Count > 0) Emit("lux-litedb", size, n, rounds, Point.Median(wal), rawMedian);
            }
        }
        if (group > 0)
        {
            var points = new List<Point>();
            for (var r = 0; r < rounds; r++) points.Add(await Group(Path.Combine(dir, $"group-{r}"), 16, group, seconds));
            var m = Point.Median(points);
            BenchOutput.Line("wal", "lux-litedb", ("mode", "group"), ("entry_bytes", 16), ("writers", group), ("partitions", group),
                ("entries_per_s", m.EntriesPerSecond), ("mb_per_s", m.MegabytesPerSecond), ("entries_per_sync", m.EntriesPerSync),
                ("syncs_per_s", m.SyncsPerSecond), ("p50_ms", m.P50), ("p99_ms", m.P99), ("fsync", "on"), ("rounds", rounds));
        }
        Directory.Delete(dir, true);
        return 0;
    }

    private static void Emit(string system, int size, int n, int rounds, Point p, Point? baseline)
    {
        var fields = new List<(string, object)>
        {
            ("entry_bytes", size), ("entries_per_sync", n), ("entries_per_s", p.EntriesPerSecond), ("mb_per_s", p.MegabytesPerSecond),
            ("p50_ms", p.P50), ("p99_ms", p.P99), ("syncs_per_batch", p.SyncsPerBatch), ("bytes_per_batch", p.BytesPerBatch),
        };
        if (baseline is { } b)
        {
            fields.Add(("ratio_entries_per_s", p.EntriesPerSecond / b.EntriesPerSecond));
            fields.Add(("ratio_p50", p.P50 / b.P50));
        }
        fields.Add(("fsync", "on"));
        fields.Add(("rounds", rounds));
        BenchOutput.Line("wal", system, [.. fields]);
    }

    /// <summary>
    /// One round of a point: the WAL and the disk's limit (the same bytes the WAL's records take, 25 B header + payload
    /// per entry, appended to a FileStream and Flush(true)'d) take turns batch by batch, so both see the same moment of
    /// a shared, noisy disk. Each system's rate is its entries over the time spent in its own batches.
    /// </summary>
    private static async Task<(Point? Raw, Point? Wal)> Paired(string rawPath, string walDir, int size, int n, double seconds, string systems)
    {
        var runRaw = systems != "lux";
        var runWal = systems != "raw";
        var record = new byte[n * (25 + size)];
        for (var i = 0; i < n; i++) BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(i * (25 + size) + 4), (ulong)i);
        await using var file = new FileStream(rawPath, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = walDir });
        var log = await wal.OpenPartitionAsync(1);
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var entries = new Entry[n];
        ulong next = 1;
        async Task WalBatch()
        {
            for (var i = 0; i < n; i++) entries[i] = new Entry(next + (ulong)i, 1, payload);
            await log.SaveAsync(new HardState(1, 1, next - 1), entries);
            next += (ulong)n;
        }
        void RawBatch()
        {
            file.Write(record);
            file.Flush(flushToDisk: true);
        }
        for (var i = 0; i < 20; i++)
        {
            if (runRaw) RawBatch();
            if (runWal) await WalBatch();
        }
        var before = wal.Statistics;
        var rawLatencies = new List<double>();
        var walLatencies = new List<double>();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (runRaw)
            {
                var start = Stopwatch.GetTimestamp();
                RawBatch();
                rawLatencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            if (runWal)
            {
                var start = Stopwatch.GetTimestamp();
                await WalBatch();
                walLatencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        var after = wal.Statistics;
        var syncs = Syncs(after) - Syncs(before);
        if (s_stats)
        {
            // Lifetime counters before close (the close adds a checkpoint: one data sync and one log sync for the truncation, one final log sync).
            BenchOutput.Line("wal", "lux-litedb", ("mode", "stats"), ("entry_bytes", size), ("entries_per_sync", n), ("commits", after.Commits),
                ("commit_syncs", after.CommitSyncs), ("log_syncs", after.LogSyncs), ("data_syncs", after.DataSyncs), ("other_syncs", after.OtherSyncs),
                ("litedb_log_flushes", after.LiteDbLogFlushes), ("checkpoints", after.Checkpoints),
                ("pages_per_commit", (double)after.LogWrites / Math.Max(1, after.Commits)),
                ("segment_bytes_per_commit", (double)after.SegmentBytesWritten / Math.Max(1, after.Commits)), ("segments", after.Segments));
        }
        Point? raw = runRaw ? Point.From(rawLatencies, rawLatencies.Sum() / 1000, (long)rawLatencies.Count * n, (long)rawLatencies.Count * n * size, 1, record.Length) : null;
        Point? walPoint = runWal
            ? Point.From(walLatencies, walLatencies.Sum() / 1000, (long)walLatencies.Count * n, (long)walLatencies.Count * n * size,
                (double)syncs / walLatencies.Count,
                (double)(after.SegmentBytesWritten - before.SegmentBytesWritten + after.LogBytesWritten - before.LogBytesWritten) / walLatencies.Count)
            : null;
        return (raw, walPoint);
    }

    /// <summary>Many writers on many partitions, one entry per call each: how many calls share a sync.</summary>
    private static async Task<Point> Group(string dir, int size, int writers, double seconds)
    {
        await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir });
        var payload = new byte[size];
        var logs = new LiteDbRaftLogStore[writers];
        for (var i = 0; i < writers; i++) logs[i] = await wal.OpenPartitionAsync((ulong)i + 1);
        var latencies = new List<double>[writers];
        var counts = new long[writers];
        var before = wal.Statistics;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = [];
            ulong next = 1;
            var one = new Entry[1];
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                one[0] = new Entry(next, 1, payload);
                var start = Stopwatch.GetTimestamp();
                await logs[w].SaveAsync(null, one);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                next++;
            }
            counts[w] = (long)next - 1;
        })));
        var elapsed = sw.Elapsed.TotalSeconds;
        var after = wal.Statistics;
        var total = counts.Sum();
        var syncs = after.CommitSyncs - before.CommitSyncs;
        var p = Point.From(latencies.SelectMany(l => l).ToList(), elapsed, total, total * size, (double)syncs, 0);
        return p with { EntriesPerSync = (double)total / Math.Max(1, syncs), SyncsPerSecond = syncs / elapsed };
    }

    private static async Task<int> StartAsync(string dir, int rounds, int partitions, int entries, int size)
    {
        var marker = Path.Combine(dir, $"populated-{partitions}x{entries}x{size}");
        var options = new LiteDbWalOptions { DataDirectory = dir };
        if (!File.Exists(marker))
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            var sw = Stopwatch.StartNew();
            await using (var wal = await LiteDbWriteAheadLog.OpenAsync(options))
            {
                var payload = new byte[size];
                const int PerCall = 250;
                await Parallel.ForEachAsync(Enumerable.Range(1, partitions), new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (p, ct) =>
                {
                    var log = await wal.OpenPartitionAsync((ulong)p, ct);
                    var batch = new Entry[PerCall];
                    for (var first = 1; first <= entries; first += PerCall)
                    {
                        var count = Math.Min(PerCall, entries - first + 1);
                        for (var i = 0; i < count; i++) batch[i] = new Entry((ulong)(first + i), 1, payload);
                        await log.SaveAsync(new HardState(1, 1, (ulong)(first + count - 1)), batch.AsMemory(0, count), ct);
                    }
                });
            }
            File.WriteAllText(marker, "");
            BenchOutput.Line("wal", "lux-litedb", ("mode", "populate"), ("partitions", partitions), ("entries_per_partition", entries),
                ("entry_bytes", size), ("seconds", sw.Elapsed.TotalSeconds), ("db_mb", DirectorySize(dir) / 1e6));
        }
        var opens = new List<double>();
        var withPartitions = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            await using var wal = await LiteDbWriteAheadLog.OpenAsync(options);
            opens.Add(sw.Elapsed.TotalMilliseconds);
            ulong lastSum = 0;
            foreach (var p in wal.Partitions)
            {
                var log = await wal.OpenPartitionAsync(p);
                lastSum += log.LastIndex + log.InitialState().HardState.Commit;
            }
            withPartitions.Add(sw.Elapsed.TotalMilliseconds);
            if (lastSum != (ulong)partitions * (ulong)entries * 2) throw new InvalidOperationException($"unexpected contents: {lastSum}");
        }
        opens.Sort();
        withPartitions.Sort();
        BenchOutput.Line("wal", "lux-litedb", ("mode", "start"), ("partitions", partitions), ("entries_per_partition", entries), ("entry_bytes", size),
            ("open_ms_p50", opens[opens.Count / 2]), ("open_all_partitions_ms_p50", withPartitions[withPartitions.Count / 2]),
            ("db_mb", DirectorySize(dir) / 1e6), ("page_cache", "warm"), ("rounds", rounds));
        return 0;
    }

    /// <summary>Every fsync the WAL made: group commits' and all others (checkpoints, new segment files).</summary>
    private static long Syncs(WalStatistics s) => s.CommitSyncs + s.LogSyncs + s.DataSyncs + s.OtherSyncs;

    private static long DirectorySize(string dir) => new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private readonly record struct Point(double EntriesPerSecond, double MegabytesPerSecond, double P50, double P99, double SyncsPerBatch,
        double BytesPerBatch, double EntriesPerSync = 0, double SyncsPerSecond = 0)
    {
        public static Point From(List<double> latencies, double seconds, long entries, long bytes, double syncsPerBatch, double bytesPerBatch)
        {
            latencies.Sort();
            return new Point(entries / seconds, bytes / seconds / 1e6, BenchOutput.Percentile(latencies, 50), BenchOutput.Percentile(latencies, 99),
                syncsPerBatch, bytesPerBatch);
        }

        public static Point Median(List<Point> points)
        {
            static double M(IEnumerable<double> xs)
            {
                var s = xs.OrderBy(x => x).ToList();
                return s[s.Count / 2];
            }
            return new Point(M(points.Select(p => p.EntriesPerSecond)), M(points.Select(p => p.MegabytesPerSecond)), M(points.Select(p => p.P50)),
                M(points.Select(p => p.P99)), M(points.Select(p => p.SyncsPerBatch)), M(points.Select(p => p.BytesPerBatch)),
                M(points.Select(p => p.EntriesPerSync)), M(points.Select(p => p.SyncsPerSecond)));
        }
    }
}
