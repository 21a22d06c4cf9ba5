using System.Collections.Concurrent;
using Lux.Raft.Storage;
using Xunit.Abstractions;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// What "durable" means, observed at the sync calls themselves: every acknowledged write is inside what the syncs made
/// durable, a group commit costs one sync of the log, and writes arriving during a sync share the next one.
/// </summary>
public sealed class DurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_acknowledged_write_is_in_what_the_syncs_made_durable()
    {
        var seed = TestSeed.Next();
        output.WriteLine($"seed {seed} (set LUX_TEST_SEED to replay)");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var disk = new SimulatedDisk();
        var options = new LiteDbWalOptions { DataDirectory = dir.Path, CheckpointBytes = 256 * 1024, MaxChunkBytes = 4096, SegmentBytes = 32 * 1024 };
        var acked = new Dictionary<ulong, (ulong Last, HardState HardState)>();
        var cuts = new ConcurrentBag<(Dictionary<ulong, (ulong, HardState)> Acked, SimulatedDisk.PowerCut Cut)>();
        const int Partitions = 12;
        await using (var wal = LiteDbWriteAheadLog.Open(options, disk, null, null))
        {
            var stores = new List<LiteDbRaftLogStore>();
            for (var p = 1; p <= Partitions; p++) stores.Add(await wal.OpenPartitionAsync((ulong)p));
            var seeds = Enumerable.Range(0, Partitions).Select(_ => random.Next()).ToArray();
            await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
            {
                var r = new Random(seeds[i]);
                ulong next = 1;
                for (var op = 0; op < 60; op++)
                {
                    var entries = Entries.Make(next, 1 + r.Next(12), 1, size: r.Next(300), partition: store.PartitionId);
                    var hs = new HardState(1, 1, next - 1);
                    await store.SaveAsync(hs, entries);
                    next += (ulong)entries.Length;
                    lock (acked) acked[store.PartitionId] = (next - 1, hs);
                    if (r.Next(8) == 0)
                    {
                        Dictionary<ulong, (ulong, HardState)> copy;
                        lock (acked) copy = new(acked);
                        cuts.Add((copy, disk.Cut()));
                    }
                }
            })));
        }
        Assert.NotEmpty(cuts);
        var checkedCuts = 0;
        foreach (var (ackedAtCut, cut) in cuts)
        {
            foreach (var extra in new[] { 0, random.Next(1, 40) })
            {
                await using var wal = LiteDbWriteAheadLog.Open(options, cut.Restore(extra), null, null);
                foreach (var (partition, (last, hs)) in ackedAtCut)
                {
                    var store = await wal.OpenPartitionAsync(partition);
                    Assert.True(store.LastIndex >= last, $"partition {partition}: acknowledged up to {last}, {store.LastIndex} survived (extra writes {extra})");
                    Assert.True(store.HardState.Commit >= hs.Commit, $"partition {partition}: hard state behind what was acknowledged");
                    var read = new List<Entry>();
                    Assert.Equal(StorageStatus.Ok, store.GetEntries(1, last + 1, RaftConstants.NoLimit, read));
                    Assert.Equal((int)last, read.Count);
                    foreach (var e in read) Assert.True(e.Data.Span.SequenceEqual(Entries.Payload(partition, e.Index, 1, e.Data.Length)));
                }
                checkedCuts++;
            }
        }
        output.WriteLine($"{checkedCuts} power cuts checked");
    }

    [Fact]
    public async Task Each_commit_costs_one_sync_of_its_segment_and_nothing_else_is_synced()
    {
        using var dir = new TempDirectory();
        await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path });
        var store = await wal.OpenPartitionAsync(1);
        var before = wal.Statistics;
        const int Writes = 40;
        for (var i = 1; i <= Writes; i++) await store.SaveAsync(new HardState(1, 1, (ulong)i - 1), Entries.Make((ulong)i, 1, 1));
        var after = wal.Statistics;
        Assert.Equal(Writes, after.Commits - before.Commits);
        Assert.Equal(Writes, after.CommitSyncs - before.CommitSyncs);
        Assert.Equal(0, after.LogSyncs - before.LogSyncs);
        Assert.Equal(0, after.DataSyncs - before.DataSyncs);
        Assert.Equal(0, after.OtherSyncs - before.OtherSyncs);
        // LiteDB asks to flush its log at least once per commit; none of those became an fsync.
        Assert.True(after.LiteDbLogFlushes - before.LiteDbLogFlushes >= Writes);
        output.WriteLine($"{Writes} commits: {after.CommitSyncs - before.CommitSyncs} segment syncs, {after.LiteDbLogFlushes - before.LiteDbLogFlushes} LiteDB flush requests not synced, {(after.LogWrites - before.LogWrites) / (double)Writes:F1} LiteDB pages per commit");
    }

    [Fact]
    public async Task Writes_arriving_during_a_sync_share_the_next_commit()
    {
        using var dir = new TempDirectory();
        var disk = new SimulatedDisk();
        await using var wal = LiteDbWriteAheadLog.Open(new LiteDbWalOptions { DataDirectory = dir.Path }, disk, null, null);
        var stores = new List<LiteDbRaftLogStore>();
        for (var p = 1; p <= 41; p++) stores.Add(await wal.OpenPartitionAsync((ulong)p));
        var inSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        disk.OnSync = path =>
        {
            if (!path.EndsWith(".seg", StringComparison.Ordinal) || release.IsSet) return;
            inSync.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        var before = wal.Statistics;
        var first = stores[0].SaveAsync(null, Entries.Make(1, 1, 1)).AsTask();
        await inSync.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var rest = stores.Skip(1).Select(s => s.SaveAsync(new HardState(1, 0, 0), Entries.Make(1, 3, 1)).AsTask()).ToList();
        Assert.False(first.IsCompleted, "a write completed before its sync returned");
        Assert.DoesNotContain(rest, t => t.IsCompleted);
        release.Set();
        await first;
        await Task.WhenAll(rest);
        var after = wal.Statistics;
        Assert.Equal(2, after.Commits - before.Commits);
        Assert.Equal(2, after.CommitSyncs - before.CommitSyncs);
        Assert.All(stores, s => Assert.True(s.LastIndex >= 1));
    }
}
