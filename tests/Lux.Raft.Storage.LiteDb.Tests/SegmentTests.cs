using Lux.Raft.Storage;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// The segment files that hold the entries: new ones start at <see cref="LiteDbWalOptions.SegmentBytes"/>, and a
/// checkpoint removes those no partition needs any more, so compaction reclaims space a whole segment at a time.
/// </summary>
public sealed class SegmentTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static LiteDbWalOptions Options(string dir) => new() { DataDirectory = dir, SegmentBytes = 16 * 1024, MaxChunkBytes = 4096, EntryCacheBytesPerPartition = 0 };

    private static async Task<ulong> Fill(LiteDbRaftLogStore store, ulong next, int commits)
    {
        for (var i = 0; i < commits; i++)
        {
            await store.SaveAsync(null, Entries.Make(next, 4, 1, size: 500, partition: store.PartitionId));
            next += 4;
        }
        return next;
    }

    [Fact]
    public async Task Compaction_frees_the_segments_below_the_oldest_entry_any_partition_still_holds()
    {
        using var dir = new TempDirectory();
        var segmentDir = Path.Combine(dir.Path, "segments");
        await using (var wal = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path)))
        {
            var a = await wal.OpenPartitionAsync(1);
            var b = await wal.OpenPartitionAsync(2);
            ulong nextA = 1, nextB = 1;
            for (var i = 0; i < 30; i++)
            {
                nextA = await Fill(a, nextA, 2);
                nextB = await Fill(b, nextB, 2);
            }
            var filled = Directory.GetFiles(segmentDir, "*.seg").Length;
            Assert.True(filled > 10, $"the entries span many segments ({filled})");

            // Only partition 1 compacts: partition 2's oldest entries still pin the first segment.
            await a.CompactAsync(nextA - 2);
            await wal.CheckpointAsync();
            Assert.True(Directory.GetFiles(segmentDir, "*.seg").Length >= filled, "nothing is removed while partition 2 needs the first segment");

            // Partition 2 compacts too: every segment before the one holding the oldest kept entry goes.
            await b.CompactAsync(nextB - 2);
            await wal.CheckpointAsync();
            var left = Directory.GetFiles(segmentDir, "*.seg").Length;
            output.WriteLine($"{filled} segment files before compaction, {left} after");
            Assert.True(left <= 2, $"{left} segment files left");
            Assert.Equal(left, wal.Statistics.Segments);

            nextA = await Fill(a, nextA, 3);
            var read = new List<Entry>();
            Assert.Equal(StorageStatus.Ok, a.GetEntries(nextA - 13, nextA, RaftConstants.NoLimit, read));
            Assert.Equal(13, read.Count);
        }
        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        var store = await reopened.OpenPartitionAsync(1);
        var again = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(store.FirstIndex, store.LastIndex + 1, RaftConstants.NoLimit, again));
        Assert.All(again, e => Assert.True(e.Data.Span.SequenceEqual(Entries.Payload(1, e.Index, 1, 500))));
    }

    [Fact]
    public async Task Deleting_a_partition_frees_its_segments()
    {
        using var dir = new TempDirectory();
        var segmentDir = Path.Combine(dir.Path, "segments");
        await using var wal = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        await Fill(await wal.OpenPartitionAsync(1), 1, 80);
        var filled = Directory.GetFiles(segmentDir, "*.seg").Length;
        await wal.DeletePartitionAsync(1);
        await wal.CheckpointAsync();
        Assert.True(filled > 5);
        Assert.Single(Directory.GetFiles(segmentDir, "*.seg"));
    }

    [Fact]
    public async Task A_crash_replays_every_segment_written_since_the_last_checkpoint()
    {
        using var dir = new TempDirectory();
        ulong next;
        var wal = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        var store = await wal.OpenPartitionAsync(3);
        next = await Fill(store, 1, 50);
        await store.SaveAsync(new HardState(4, 2, next - 1), ReadOnlyMemory<Entry>.Empty);
        wal.CheckpointOnDispose = false;
        await wal.DisposeAsync();

        var logs = new CapturingLoggerProvider();
        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path), logs.CreateFactory());
        Assert.True(logs.Has(Microsoft.Extensions.Logging.LogLevel.Information, "51 segment records"), "every commit was replayed from the segments");
        var again = await reopened.OpenPartitionAsync(3);
        Assert.Equal(next - 1, again.LastIndex);
        Assert.Equal(new HardState(4, 2, next - 1), again.HardState);
        var read = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, again.GetEntries(1, next, RaftConstants.NoLimit, read));
        Assert.All(read, e => Assert.True(e.Data.Span.SequenceEqual(Entries.Payload(3, e.Index, 1, 500))));
    }

    /// <summary>
    /// A group commit writes only chunks into LiteDB; the partition's metadata and the applied position are in its
    /// segment record at once (a crash replays them) and reach LiteDB right before the next checkpoint.
    /// </summary>
    [Fact]
    public async Task Metadata_reaches_LiteDB_at_the_checkpoint_and_a_crash_before_it_replays_from_the_segments()
    {
        using var dir = new TempDirectory();
        var wal = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        var appliedAtOpen = wal.Store.GetApplied();
        var store = await wal.OpenPartitionAsync(7);
        var next = await Fill(store, 1, 5);
        await store.SaveAsync(new HardState(3, 1, next - 1), ReadOnlyMemory<Entry>.Empty);
        Assert.DoesNotContain(wal.Store.ReadAllMeta().ToList(), m => m.Partition == 7);
        Assert.Equal(appliedAtOpen, wal.Store.GetApplied());
        Assert.Equal(5, wal.Store.CountChunks(7));

        await wal.CheckpointAsync();
        Assert.Contains(wal.Store.ReadAllMeta().ToList(), m => m.Partition == 7);
        var applied = wal.Store.GetApplied();
        Assert.NotNull(applied);
        Assert.Equal(wal.Statistics.SegmentBytesWritten, applied.Value.End.Offset);

        // Past the checkpoint: new metadata is again only in the segments when the process dies.
        next = await Fill(store, next, 3);
        await store.SaveAsync(new HardState(4, 2, next - 1), ReadOnlyMemory<Entry>.Empty);
        wal.CheckpointOnDispose = false;
        await wal.DisposeAsync();

        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        var again = await reopened.OpenPartitionAsync(7);
        Assert.Equal(new HardState(4, 2, next - 1), again.HardState);
        Assert.Equal(next - 1, again.LastIndex);
    }

    /// <summary>
    /// The commit that fills a segment is followed by a new one, and a checkpoint may come before any record lands in
    /// the new one: the data file's replay position still points into the full segment, which must survive even when
    /// no chunk in it is live any more.
    /// </summary>
    [Fact]
    public async Task A_checkpoint_right_after_a_new_segment_keeps_the_segment_replay_starts_in()
    {
        // Record sizes are deterministic: measure a one-entry commit and a compaction once, then size the entry so the
        // compaction's record is the one that fills the first segment.
        const int Probe = 100;
        long entryRecord, compactRecord;
        using (var probeDir = new TempDirectory())
        {
            await using var probe = await LiteDbWriteAheadLog.OpenAsync(Options(probeDir.Path));
            var store = await probe.OpenPartitionAsync(1);
            await store.SaveAsync(null, Entries.Make(1, 1, 1, size: Probe, partition: 1));
            entryRecord = probe.Statistics.SegmentBytesWritten;
            await store.CompactAsync(1);
            compactRecord = probe.Statistics.SegmentBytesWritten - entryRecord;
        }
        var segmentBytes = Options("").SegmentBytes;
        var size = (int)(Probe + segmentBytes - 1 - entryRecord);
        Assert.True(compactRecord > 1 && size > 0);

        using var dir = new TempDirectory();
        await using (var wal = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path)))
        {
            var store = await wal.OpenPartitionAsync(1);
            await store.SaveAsync(new HardState(1, 1, 1), Entries.Make(1, 1, 1, size: size, partition: 1));
            Assert.Equal(segmentBytes - 1, wal.Statistics.SegmentBytesWritten);
            Assert.Equal(1, wal.Statistics.Segments);
            await store.CompactAsync(1);
            await wal.CheckpointAsync();
            // The compaction's record filled segment 1, so segment 2 was started; segment 1 holds no live chunk but
            // is where replay starts, so it stays.
            Assert.Equal(2, wal.Statistics.Segments);
            wal.CheckpointOnDispose = false;
        }
        await using var reopened = await LiteDbWriteAheadLog.OpenAsync(Options(dir.Path));
        var again = await reopened.OpenPartitionAsync(1);
        Assert.Equal(1UL, again.FirstIndex - 1);
        Assert.Equal(1UL, again.LastIndex);
        Assert.Equal(new HardState(1, 1, 1), again.HardState);
    }
}
