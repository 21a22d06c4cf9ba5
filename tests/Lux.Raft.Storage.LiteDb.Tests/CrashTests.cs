using System.Diagnostics;
using System.Globalization;
using Lux.Raft.Storage;
using Lux.Raft.Storage.LiteDb.CrashWriter;
using Xunit.Abstractions;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// Kills a real writer process with SIGKILL at random moments, again and again on the same data directory, and after
/// each kill reopens the WAL and checks every partition against a model built from what the writer printed: the
/// acknowledged writes must all be there, intact, and the only thing allowed beyond them is the one write that was in
/// flight, whole.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Partitions = 6;

    [Fact]
    public async Task Acknowledged_writes_survive_sigkill_and_nothing_else_appears()
    {
        var seed = TestSeed.Next();
        var kills = Environment.GetEnvironmentVariable("LUX_CRASH_KILLS") is { } k ? int.Parse(k, CultureInfo.InvariantCulture) : 60;
        output.WriteLine($"seed {seed} (set LUX_TEST_SEED to replay the same kill points), {kills} kills");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var models = Enumerable.Range(1, Partitions).ToDictionary(p => (ulong)p, p => new PartitionModel((ulong)p));
        long acknowledged = 0, inFlightApplied = 0, inFlightLost = 0;

        for (var run = 0; run < kills; run++)
        {
            // Mostly mid-stream kills; some while the writer is still opening (recovering) the database.
            var ackTarget = random.Next(10) == 0 ? 0 : random.Next(1, 80);
            var lines = await RunAndKill(dir.Path, seed + run, ackTarget, killBeforeReady: ackTarget == 0 && random.Next(2) == 0);
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts.Length < 2 || !ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var p) || !models.TryGetValue(p, out var model)) continue;
                if (parts[0] == "I") model.Intend(parts);
                else if (parts[0] == "A")
                {
                    model.Acknowledge();
                    acknowledged++;
                }
            }

            await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path, CheckpointBytes = 1024 * 1024, SegmentBytes = 64 * 1024 });
            foreach (var model in models.Values)
            {
                var store = await wal.OpenPartitionAsync(model.Partition);
                var verdict = model.Resolve(store);
                Assert.True(verdict.Matched, $"run {run} seed {seed} partition {model.Partition}: {verdict.Mismatch}");
                if (verdict.AppliedInFlight) inFlightApplied++;
                if (verdict.LostInFlight) inFlightLost++;
            }
        }
        var segments = Directory.GetFiles(Path.Combine(dir.Path, "segments"), "*.seg").Select(Path.GetFileNameWithoutExtension).Order().ToList();
        output.WriteLine($"{kills} kills, {acknowledged} acknowledged writes checked; in-flight writes found whole {inFlightApplied} times, absent {inFlightLost} times; segment files left: {segments.Count}, from {segments.FirstOrDefault()} to {segments.LastOrDefault()}");
        Assert.True(acknowledged > kills, "the writer made progress between kills");
    }

    private async Task<List<string>> RunAndKill(string dir, int seed, int ackTarget, bool killBeforeReady)
    {
        var writer = typeof(CrashProtocol).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", writer, dir, seed.ToString(CultureInfo.InvariantCulture), Partitions.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        var acks = 0;
        var ready = false;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (killBeforeReady) break;
            var line = await process.StandardOutput.ReadLineAsync();
            if (line is null) break;
            lines.Add(line);
            if (line == CrashProtocol.Ready) ready = true;
            if (line.StartsWith("A ", StringComparison.Ordinal)) acks++;
            if (ready && acks >= ackTarget) break;
        }
        process.Kill(entireProcessTree: false);
        string? rest;
        while ((rest = await process.StandardOutput.ReadLineAsync()) is not null) lines.Add(rest);
        await process.WaitForExitAsync();
        var errors = await stderr;
        Assert.True(string.IsNullOrWhiteSpace(errors), $"writer failed: {errors}");
        Assert.True(killBeforeReady || ready, "writer never became ready");
        return lines;
    }

    /// <summary>One partition as the writer's output describes it: the acknowledged writes and the one in flight.</summary>
    private sealed class PartitionModel(ulong partition)
    {
        private readonly List<string[]> _acknowledged = [];
        private string[]? _inFlight;

        public ulong Partition => partition;

        public void Intend(string[] intent) => _inFlight = intent;

        public void Acknowledge()
        {
            Assert.NotNull(_inFlight);
            _acknowledged.Add(_inFlight);
            _inFlight = null;
        }

        /// <summary>Decides which state the store is in; the in-flight write becomes acknowledged if it landed.</summary>
        public (bool Matched, string Mismatch, bool AppliedInFlight, bool LostInFlight) Resolve(IRaftLogStore store)
        {
            var without = Build(_acknowledged);
            var mismatch = Compare(store, without);
            if (mismatch is null)
            {
                var lost = _inFlight is not null;
                _inFlight = null;
                return (true, "", false, lost);
            }
            if (_inFlight is not null)
            {
                var with = Build(_acknowledged.Append(_inFlight));
                var mismatchWith = Compare(store, with);
                if (mismatchWith is null)
                {
                    _acknowledged.Add(_inFlight);
                    _inFlight = null;
                    return (true, "", true, false);
                }
                return (false, $"matches neither the acknowledged state ({mismatch}) nor it plus the in-flight write ({mismatchWith})", false, false);
            }
            return (false, mismatch, false, false);
        }

        private MemoryStorage Build(IEnumerable<string[]> ops)
        {
            var model = new MemoryStorage();
            foreach (var op in ops)
            {
                switch (op[2])
                {
                    case "save":
                        var hs = new HardState(U(op[3]), U(op[4]), U(op[5]));
                        var entries = CrashProtocol.MakeEntries(partition, U(op[6]), int.Parse(op[7], CultureInfo.InvariantCulture), U(op[8]));
                        Assert.Equal(U(op[9]), CrashProtocol.Hash(entries[^1].Data.Span));
                        model.Append(entries);
                        model.SetHardState(hs);
                        break;
                    case "compact":
                        model.Compact(U(op[3]));
                        break;
                    case "snapshot":
                        model.ApplySnapshot(new SnapshotMetadata(U(op[3]), U(op[4]), CrashProtocol.SnapshotConf));
                        break;
                }
            }
            return model;
        }

        private static string? Compare(IRaftLogStore actual, MemoryStorage expected)
        {
            if (actual.FirstIndex != expected.FirstIndex || actual.LastIndex != expected.LastIndex)
            {
                return $"range [{actual.FirstIndex}, {actual.LastIndex}] where [{expected.FirstIndex}, {expected.LastIndex}] was expected";
            }
            if (actual.InitialState().HardState != expected.HardState) return $"hard state {actual.InitialState().HardState} where {expected.HardState} was expected";
            if (!Equals(actual.Snapshot, expected.Snapshot)) return $"snapshot {actual.Snapshot} where {expected.Snapshot} was expected";
            for (var i = expected.FirstIndex - 1; i <= expected.LastIndex; i++)
            {
                actual.TryGetTerm(i, out var a);
                expected.TryGetTerm(i, out var e);
                if (a != e) return $"term {a} at {i} where {e} was expected";
            }
            if (expected.LastIndex >= expected.FirstIndex)
            {
                var got = new List<Entry>();
                var want = new List<Entry>();
                actual.GetEntries(expected.FirstIndex, expected.LastIndex + 1, RaftConstants.NoLimit, got);
                expected.GetEntries(expected.FirstIndex, expected.LastIndex + 1, RaftConstants.NoLimit, want);
                if (got.Count != want.Count) return $"{got.Count} entries read where {want.Count} were expected";
                for (var i = 0; i < got.Count; i++)
                {
                    if (got[i].Index != want[i].Index || got[i].Term != want[i].Term || !got[i].Data.Span.SequenceEqual(want[i].Data.Span))
                    {
                        return $"entry {want[i].Index} differs";
                    }
                }
            }
            return null;
        }

        private static ulong U(string s) => ulong.Parse(s, CultureInfo.InvariantCulture);
    }
}
