using System.Text;
using Lux.Raft.Storage.LiteDb.Internal;
using Lux.Raft.Storage;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// Damage to the files on disk is found, logged and cut back to the last valid state, never served: torn, zeroed and
/// garbage tails of the segment files, LiteDB's unsynced log after a crash, the log of a checkpoint cut short, damaged
/// entry records, damaged metadata, a truncated data file.
/// </summary>
public sealed class CorruptionTests(Xunit.Abstractions.ITestOutputHelper _output) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CapturingLoggerProvider _logs = new();

    public void Dispose() => _dir.Dispose();

    private LiteDbWalOptions Options(long cache = 1024 * 1024) =>
        new() { DataDirectory = _dir.Path, EntryCacheBytesPerPartition = cache, MaxChunkBytes = 4096 };

    private string DataPath => Path.Combine(_dir.Path, "raft-wal.db");

    private string LogPath => Path.Combine(_dir.Path, "raft-wal-log.db");

    private string SegmentPath => Directory.GetFiles(Path.Combine(_dir.Path, "segments"), "*.seg").Order().Last();

    private async Task<LiteDbWriteAheadLog> Open(long cache = 1024 * 1024) =>
        await LiteDbWriteAheadLog.OpenAsync(Options(cache), _logs.CreateFactory());

    /// <summary>
    /// Writes entries 1..10 and then 11..20 as two commits and closes without a checkpoint, as a crash would; returns the
    /// lengths of LiteDB's log and of the segment between the two commits.
    /// </summary>
    private async Task<(long Log, long Segment)> TwoCommitsLeftUncheckpointed()
    {
        var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        await store.SaveAsync(new HardState(1, 1, 5), Entries.Make(1, 10, 1, partition: 7));
        await wal.CheckpointAsync();
        await store.SaveAsync(new HardState(1, 1, 8), Entries.Make(11, 5, 1, partition: 7));
        var between = (wal.Statistics.LogLength, new FileInfo(SegmentPath).Length);
        await store.SaveAsync(new HardState(1, 1, 10), Entries.Make(16, 5, 1, partition: 7));
        wal.CheckpointOnDispose = false;
        await wal.DisposeAsync();
        Assert.True(new FileInfo(LogPath).Length > between.LogLength, "the last commit is in LiteDB's log file");
        return between;
    }

    /// <summary>Pretends a checkpoint was cut short after it synced LiteDB's log: the marker names the log's length.</summary>
    private void MarkCheckpointInProgress(long logLength)
    {
        using var marker = new CheckpointMarker(OsWalFileSystem.Instance.Open(Path.Combine(_dir.Path, "raft-wal.ckpt")), syncEnabled: false);
        marker.Write(logLength);
    }

    private static async Task AssertLog(LiteDbWriteAheadLog wal, ulong last)
    {
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(last, store.LastIndex);
        var read = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, last + 1, RaftConstants.NoLimit, read));
        Assert.Equal(Entries.Make(1, (int)last, 1, partition: 7).Select(e => (e.Index, e.Term, Convert.ToHexString(e.Data.Span))),
            read.Select(e => (e.Index, e.Term, Convert.ToHexString(e.Data.Span))));
    }

    [Fact]
    public async Task After_a_crash_liteDbs_unsynced_log_is_dropped_and_the_segments_rebuild_it()
    {
        await TwoCommitsLeftUncheckpointed();
        var garbage = new byte[3 * 8192];
        new Random(5).NextBytes(garbage);
        using (var f = new FileStream(LogPath, FileMode.Open)) f.Write(garbage);
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Information, "never synced; the segment files replay them"), "the drop is logged");
        Assert.True(_logs.Has(LogLevel.Information, "2 segment records"), "both later commits were replayed");
        await AssertLog(wal, 20);
    }

    [Fact]
    public async Task A_torn_record_at_the_end_of_a_segment_is_cut_back_with_a_log_line()
    {
        var (_, between) = await TwoCommitsLeftUncheckpointed();
        using (var f = new FileStream(SegmentPath, FileMode.Open)) f.SetLength(f.Length - 30);
        await using (var wal = await Open())
        {
            Assert.True(_logs.Has(LogLevel.Warning, "damaged tail"), "a warning names the damage");
            Assert.Equal(between, new FileInfo(SegmentPath).Length);
            await AssertLog(wal, 15);
            var store = await wal.OpenPartitionAsync(7);
            await store.SaveAsync(null, Entries.Make(16, 5, 1, partition: 7));
        }
        // The cut is durable and appends continue from it.
        await using var again = await Open();
        await AssertLog(again, 20);
    }

    [Theory]
    [InlineData(false, "zeros where a record should start")]
    [InlineData(true, "bytes that are not a record header")]
    public async Task Zeros_or_garbage_after_the_last_record_are_cut_back(bool garbage, string damage)
    {
        await TwoCommitsLeftUncheckpointed();
        var tail = new byte[5000];
        if (garbage) new Random(9).NextBytes(tail);
        var length = new FileInfo(SegmentPath).Length;
        using (var f = new FileStream(SegmentPath, FileMode.Append)) f.Write(tail);
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, damage), "a warning names the damage");
        Assert.Equal(length, new FileInfo(SegmentPath).Length);
        await AssertLog(wal, 20);
    }

    [Fact]
    public async Task A_record_with_a_flipped_byte_ends_the_replay_there()
    {
        var (_, between) = await TwoCommitsLeftUncheckpointed();
        var data = File.ReadAllBytes(SegmentPath);
        data[between + 40] ^= 0x10;
        File.WriteAllBytes(SegmentPath, data);
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, "checksum does not match"), "a warning names the damage");
        await AssertLog(wal, 15);
    }

    [Fact]
    public async Task A_checkpoint_cut_short_keeps_liteDbs_synced_log_and_checks_its_torn_page()
    {
        var (log, _) = await TwoCommitsLeftUncheckpointed();
        MarkCheckpointInProgress(new FileInfo(LogPath).Length);
        using (var f = new FileStream(LogPath, FileMode.Open)) f.SetLength(f.Length - 100);
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, "torn write: 8092 bytes past the last whole page"), "a warning names the damage");
        // LiteDB records its applied position only at checkpoints, so both commits since the last one are redone from
        // their segment records: the one whose torn page was dropped, and the one whose chunk the kept log still holds.
        Assert.True(_logs.Has(LogLevel.Information, "2 segment records"), "the commits since the checkpoint are replayed from their segment");
        await AssertLog(wal, 20);
        Assert.True(log > 0);
    }

    [Fact]
    public async Task A_checkpoint_cut_short_drops_a_transaction_with_a_page_missing_from_its_log()
    {
        var (log, _) = await TwoCommitsLeftUncheckpointed();
        MarkCheckpointInProgress(new FileInfo(LogPath).Length);
        using (var f = new FileStream(LogPath, FileMode.Open))
        {
            f.Position = log;
            f.Write(new byte[8192]);
        }
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, "never reached the disk but later pages did"), "a warning names the damage");
        await AssertLog(wal, 20);
    }

    [Fact]
    public async Task A_checkpoint_cut_short_ignores_log_pages_written_after_its_sync()
    {
        await TwoCommitsLeftUncheckpointed();
        var synced = new FileInfo(LogPath).Length;
        MarkCheckpointInProgress(synced);
        var garbage = new byte[2 * 8192];
        new Random(5).NextBytes(garbage);
        using (var f = new FileStream(LogPath, FileMode.Append)) f.Write(garbage);
        await using (var wal = await Open())
        {
            await AssertLog(wal, 20);
        }
        // The interrupted checkpoint was finished at open: the marker says none is in progress and the log is empty.
        Assert.Equal(0, new FileInfo(LogPath).Length);
    }

    private static byte[] Marker(int i) => Encoding.ASCII.GetBytes($"<<marker {i:D4} " + new string('m', 40) + ">>");

    /// <summary>Writes entries 1..count with distinct marker payloads and closes cleanly (the database has applied every record).</summary>
    private async Task WriteMarkers(int count, ulong commit)
    {
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        for (var i = 1; i <= count; i += 5)
        {
            var batch = Enumerable.Range(i, Math.Min(5, count - i + 1)).Select(j => new Entry((ulong)j, 1, Marker(j))).ToArray();
            await store.SaveAsync(new HardState(1, 1, Math.Min(commit, (ulong)batch[^1].Index)), batch);
        }
    }

    /// <summary>Damages entry i where it is stored: in a segment file that the database has already applied.</summary>
    private void FlipByteOfMarker(int i)
    {
        var data = File.ReadAllBytes(SegmentPath);
        var at = data.AsSpan().IndexOf(Marker(i));
        Assert.True(at >= 0, $"marker {i} is in the segment file");
        data[at + 20] ^= 0x40;
        File.WriteAllBytes(SegmentPath, data);
    }

    [Fact]
    public async Task A_damaged_record_at_the_tail_is_cut_back_with_a_log_line()
    {
        await WriteMarkers(40, commit: 30);
        FlipByteOfMarker(38);
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(37UL, store.LastIndex);
        Assert.True(_logs.Has(LogLevel.Warning, "checksum mismatch at index 38"), "the cut-back is logged with its reason");
        var read = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, 38, RaftConstants.NoLimit, read));
        Assert.Equal(37, read.Count);
        Assert.Equal(StorageStatus.Unavailable, store.TryGetTerm(38, out _));

        // The repair is durable, and appends continue from the cut.
        await store.SaveAsync(null, new[] { new Entry(38, 2, Marker(99)) });
        await wal.DisposeAsync();
        await using var again = await Open();
        var reopened = await again.OpenPartitionAsync(7);
        Assert.Equal(38UL, reopened.LastIndex);
        Assert.True(reopened.TryGetTerm(38, out var term) == StorageStatus.Ok && term == 2);
    }

    [Fact]
    public async Task Losing_committed_entries_to_damage_is_logged_as_an_error()
    {
        await WriteMarkers(40, commit: 40);
        FlipByteOfMarker(36);
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(35UL, store.LastIndex);
        Assert.True(_logs.Has(LogLevel.Error, "committed entries were lost"));
    }

    [Fact]
    public async Task A_damaged_record_inside_the_log_is_refused_when_read()
    {
        await WriteMarkers(40, commit: 40);
        FlipByteOfMarker(6);
        await using var wal = await Open(cache: 0);
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(40UL, store.LastIndex);
        var ex = Assert.Throws<WalCorruptionException>(() => store.GetEntries(1, 41, RaftConstants.NoLimit, []));
        Assert.Contains("6", ex.Message);
        Assert.True(_logs.Has(LogLevel.Error, "damaged entries read at index 6"));
        var before = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, 6, RaftConstants.NoLimit, before));
        Assert.Equal(5, before.Count);
        var after = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(11, 41, RaftConstants.NoLimit, after));
        Assert.Equal(30, after.Count);
    }

    [Fact]
    public async Task A_damaged_metadata_document_fails_the_partition_open_clearly()
    {
        await using (var wal = await Open())
        {
            var store = await wal.OpenPartitionAsync(7);
            await store.SaveAsync(new HardState(0x5A5A5A5A5A5A5A5A, 1, 0), Entries.Make(1, 3, 1));
        }
        var data = File.ReadAllBytes(DataPath);
        var at = data.AsSpan().IndexOf(BitConverter.GetBytes(0x5A5A5A5A5A5A5A5AUL));
        Assert.True(at >= 0);
        data[at] ^= 1;
        File.WriteAllBytes(DataPath, data);
        await using var reopened = await Open();
        var ex = await Assert.ThrowsAsync<WalCorruptionException>(async () => await reopened.OpenPartitionAsync(7));
        Assert.Contains("metadata", ex.Message);
        Assert.True(_logs.Has(LogLevel.Error, "metadata document is damaged"));
    }

    [Fact]
    public async Task A_truncated_data_file_fails_the_open_with_an_error_not_a_hang()
    {
        await WriteMarkers(400, commit: 400);
        using (var f = new FileStream(DataPath, FileMode.Open)) f.SetLength(f.Length / 2 + 123);
        var open = Task.Run(async () =>
        {
            await using var wal = await Open();
            var store = await wal.OpenPartitionAsync(7);
            store.GetEntries(1, store.LastIndex + 1, RaftConstants.NoLimit, []);
        });
        var error = await Record.ExceptionAsync(() => open.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.NotNull(error);
        Assert.IsType<WalCorruptionException>(error);
        _output.WriteLine($"{error.GetType().Name}: {error.Message}");
    }
}
