using Lux.Raft.Storage;
using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb.Tests;

public sealed class ManyPartitionsTests
{
    [Fact]
    public async Task A_thousand_partitions_share_one_database_and_read_only_their_own_chunks()
    {
        using var dir = new TempDirectory();
        const int Partitions = 1000;
        var options = new LiteDbWalOptions { DataDirectory = dir.Path, EntryCacheBytesPerPartition = 0 };
        await using (var wal = await LiteDbWriteAheadLog.OpenAsync(options))
        {
            await Parallel.ForEachAsync(Enumerable.Range(1, Partitions), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, ct) =>
            {
                var store = await wal.OpenPartitionAsync((ulong)p, ct);
                for (var i = 0; i < 3; i++)
                {
                    await store.SaveAsync(new HardState(1, 1, (ulong)(i * 4)), Entries.Make((ulong)(i * 4 + 1), 4, 1, partition: (ulong)p), ct);
                }
            });
        }
        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(options);
        Assert.Equal(Partitions, reopened.Partitions.Count);
        foreach (var p in new ulong[] { 1, 500, 1000 })
        {
            var store = await reopened.OpenPartitionAsync(p);
            var read = new List<Entry>();
            Assert.Equal(StorageStatus.Ok, store.GetEntries(2, 13, RaftConstants.NoLimit, read));
            Assert.Equal(Enumerable.Range(2, 11).Select(i => (ulong)i), read.Select(e => e.Index));
            Assert.All(read, e => Assert.True(e.Data.Span.SequenceEqual(Entries.Payload(p, e.Index, 1, 16))));
            Assert.Equal(3, reopened.Store.CountChunks(p));

            // The read is an index range over this partition's keys only (LiteDB's plan), never a scan of the collection.
            var plan = reopened.Store.ExplainRead(p, 1, 12);
            Assert.Equal("_id", plan["index"]["name"].AsString);
            Assert.StartsWith("INDEX RANGE", plan["index"]["mode"].AsString, StringComparison.OrdinalIgnoreCase);
            Assert.False(plan.ContainsKey("filters"), "no filter left to apply after the index range");
        }
    }

    [Fact]
    public void Chunk_queries_keep_their_bounds_out_of_the_expression_text()
    {
        // LiteDB compiles and caches for good every expression text it has not seen: bounds written into the text would
        // cost a parse, a compiled delegate and its memory per distinct range, on every read, truncation and compaction.
        var first = ChunkStore.Range(1, 2, 3);
        var other = ChunkStore.Range(900, 5_000, 90_000);
        Assert.Equal(first.Source, other.Source);
        Assert.Equal(ChunkKey.Create(900, 5_000), other.Parameters["0"].AsBinary);
        Assert.Equal(ChunkKey.Create(900, 90_000), other.Parameters["1"].AsBinary);
        Assert.Equal(ChunkStore.AtOrAbove(ChunkKey.Create(1, 0)).Source, ChunkStore.AtOrAbove(ChunkKey.Create(77, 0)).Source);
    }
}
