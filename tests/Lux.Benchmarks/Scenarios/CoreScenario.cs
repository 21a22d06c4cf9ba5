using System.Diagnostics;
using System.Globalization;
using Lux.Raft;
using Lux.Raft.Storage;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario "core": the consensus core alone. Three replicas on one thread with in-memory storage and network (no
/// sync, no I/O): proposals of 16 bytes are batched, replicated, committed and applied on every replica. Shows what
/// the core costs per proposal, which must stay far below what the disk and network allow.
/// </summary>
public static class CoreScenario
{
    public static Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(BenchOutput.Option(args, "duration") ?? "3", CultureInfo.InvariantCulture);
        var runs = int.Parse(BenchOutput.Option(args, "runs") ?? "3", CultureInfo.InvariantCulture);
        int[] batches = BenchOutput.Option(args, "batch") is { } b ? [int.Parse(b, CultureInfo.InvariantCulture)] : [1, 64, 1024];
        foreach (var batch in batches)
        {
            Measure(batch, 0.5); // warm-up: JIT and tiering
            var results = Enumerable.Range(0, runs).Select(_ => Measure(batch, seconds)).Order().ToList();
            var median = results[results.Count / 2];
            BenchOutput.Line("core", "lux-core", ("replicas", 3), ("value_bytes", 16), ("batch", batch), ("runs", runs),
                ("ops_per_s", median), ("min_ops_per_s", results[0]), ("max_ops_per_s", results[^1]), ("duration_s", seconds), ("sync", "none (in-memory)"));
        }
        return Task.FromResult(0);
    }

    private static double Measure(int batch, double seconds)
    {
        var ids = new ulong[] { 1, 2, 3 };
        var storages = ids.Select(_ => new MemoryStorage(ConfState.OfVoters(ids))).ToArray();
        var nodes = ids.Select(id => new RawNode(new RaftOptions
        {
            Id = id,
            Storage = storages[id - 1],
            ElectionTick = 10,
            HeartbeatTick = 1,
            MaxSizePerMessage = 4 * 1024 * 1024,
            MaxInflightMessages = 256,
        })).ToArray();
        var network = new Queue<Message>();
        long applied = 0;

        void Pump()
        {
            while (true)
            {
                var progressed = false;
                for (var i = 0; i < nodes.Length; i++)
                {
                    var node = nodes[i];
                    if (!node.HasReady) continue;
                    progressed = true;
                    var rd = node.Ready();
                    var storage = storages[i];
                    storage.Append(rd.Entries);
                    if (rd.HardState is { } hs) storage.SetHardState(hs);
                    foreach (var m in rd.Messages) network.Enqueue(m);
                    if (i == 0) applied += rd.CommittedEntries.Length;
                    node.Advance();
                }
                while (network.TryDequeue(out var m))
                {
                    progressed = true;
                    nodes[(int)m.To - 1].Step(m);
                }
                if (!progressed) return;
            }
        }

        nodes[0].Campaign();
        Pump();
        if (nodes[0].SoftState.Role != StateRole.Leader) throw new InvalidOperationException("no leader");

        var payload = new byte[16];
        var proposals = new ReadOnlyMemory<byte>[batch];
        for (var i = 0; i < batch; i++) proposals[i] = payload;
        var baseline = applied;
        long proposed = 0;
        var watch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        while (watch.Elapsed < deadline)
        {
            // Several batches per round trip, as a busy leader sees between two Readies.
            for (var k = 0; k < 4; k++)
            {
                var result = batch == 1 ? nodes[0].Propose(payload) : nodes[0].Propose(proposals);
                if (!result.IsAccepted) throw new InvalidOperationException(result.Rejection.ToString());
                proposed += batch;
            }
            Pump();
            {
                // Keep the in-memory logs short, as a host that snapshots would; otherwise the benchmark measures
                // the garbage collector walking millions of retained entries.
                foreach (var storage in storages)
                {
                    var upTo = Math.Min(storage.HardState.Commit, storage.LastIndex);
                    if (upTo > storage.FirstIndex + 16384) storage.Compact(upTo - 1024);
                }
            }
        }
        watch.Stop();
        if (applied - baseline < proposed) throw new InvalidOperationException("not everything committed");
        return (applied - baseline) / watch.Elapsed.TotalSeconds;
    }
}
