using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>The silo-level provider contract, run against both providers, plus the WAL's metrics.</summary>
public sealed class ProviderTests
{
    public static TheoryData<string> Providers => new() { "memory", "litedb" };

    private static async Task<(IRaftLogStoreProvider, TempDirectory)> Create(string kind)
    {
        var dir = new TempDirectory();
        IRaftLogStoreProvider provider = kind == "memory"
            ? new MemoryRaftLogStoreProvider()
            : await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path });
        return (provider, dir);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Partitions_are_opened_listed_and_deleted(string kind)
    {
        var (provider, dir) = await Create(kind);
        using (dir)
        await using (provider)
        {
            var a = await provider.OpenPartitionAsync(1);
            var b = await provider.OpenPartitionAsync(ulong.MaxValue);
            Assert.Same(a, await provider.OpenPartitionAsync(1));
            await a.SaveAsync(new HardState(1, 1, 0), Entries.Make(1, 3, 1));
            await b.SaveAsync(null, Entries.Make(1, 2, 1));
            Assert.Equal(new[] { 1UL, ulong.MaxValue }, provider.Partitions.Order());
            await provider.DeletePartitionAsync(1);
            Assert.Equal(new[] { ulong.MaxValue }, provider.Partitions);
            var again = await provider.OpenPartitionAsync(1);
            Assert.Equal(0UL, again.LastIndex);
            Assert.Equal(2UL, b.LastIndex);
        }
    }

    [Fact]
    public async Task A_deleted_partition_stays_deleted_after_a_restart()
    {
        using var dir = new TempDirectory();
        var options = new LiteDbWalOptions { DataDirectory = dir.Path };
        await using (var wal = await LiteDbWriteAheadLog.OpenAsync(options))
        {
            await (await wal.OpenPartitionAsync(1)).SaveAsync(null, Entries.Make(1, 3, 1));
            await (await wal.OpenPartitionAsync(2)).SaveAsync(null, Entries.Make(1, 3, 1));
            await wal.DeletePartitionAsync(1);
        }
        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(options);
        Assert.Equal(new[] { 2UL }, reopened.Partitions);
        Assert.Equal(0, reopened.Store.CountChunks(1));
    }

    [Fact]
    public async Task The_wal_reports_its_sync_path_in_lux_wal_metrics()
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Lux.Raft.Storage.LiteDb") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => seen.AddOrUpdate(i.Name, v, (_, x) => x + v));
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => seen.AddOrUpdate(i.Name, 1, (_, x) => x + 1));
        listener.Start();
        using var dir = new TempDirectory();
        await using (var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path }))
        {
            var store = await wal.OpenPartitionAsync(1);
            await store.SaveAsync(null, Entries.Make(1, 10, 1, size: 100));
            await wal.CheckpointAsync();
        }
        foreach (var name in new[] { "lux.wal.syncs", "lux.wal.sync.duration", "lux.wal.commits", "lux.wal.batch.entries", "lux.wal.batch.bytes",
                     "lux.wal.bytes", "lux.wal.entries", "lux.wal.pages", "lux.wal.checkpoints", "lux.wal.commit.duration" })
        {
            Assert.True(seen.TryGetValue(name, out var v) && v > 0, $"{name} was recorded");
        }
        Assert.True(seen["lux.wal.bytes"] >= 1000);
    }
}
