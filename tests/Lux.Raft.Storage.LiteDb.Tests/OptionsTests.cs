using Microsoft.Extensions.Options;

namespace Lux.Raft.Storage.LiteDb.Tests;

public sealed class OptionsTests
{
    [Fact]
    public async Task A_missing_data_directory_is_a_clear_startup_error()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () => await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions()));
        Assert.Contains("DataDirectory is required", ex.Message);
    }

    [Fact]
    public async Task A_directory_that_cannot_be_created_is_a_clear_startup_error()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
            await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = Path.Combine(file, "wal") }));
        Assert.Contains("cannot be created", ex.Message);
        Assert.Contains(file, ex.Message);
    }

    [Fact]
    public void A_file_in_place_of_the_directory_is_reported()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "a-file");
        File.WriteAllText(file, "x");
        var result = new LiteDbWalOptionsValidator().Validate(null, new LiteDbWalOptions { DataDirectory = file });
        Assert.True(result.Failed);
        Assert.Contains("is a file, not a directory", result.FailureMessage);
    }

    [Fact]
    public void An_unwritable_directory_is_reported()
    {
        // /proc is read-only even for root, so this holds whoever runs the tests.
        var result = new LiteDbWalOptionsValidator().Validate(null, new LiteDbWalOptions { DataDirectory = "/proc/lux-wal-test" });
        Assert.True(result.Failed);
        Assert.Contains("/proc/lux-wal-test", result.FailureMessage);
    }

    [Fact]
    public void Limits_out_of_range_are_all_reported_at_once()
    {
        using var dir = new TempDirectory();
        var result = new LiteDbWalOptionsValidator().Validate(null, new LiteDbWalOptions
        {
            DataDirectory = dir.Path, MaxEntryBytes = 0, MaxBatchBytes = -1, MaxChunkBytes = 10, CheckpointBytes = 1,
            EntryCacheBytesPerPartition = -5, FileName = "a/b.db",
        });
        Assert.True(result.Failed);
        foreach (var name in new[] { "MaxEntryBytes", "MaxBatchBytes", "MaxChunkBytes", "CheckpointBytes", "EntryCacheBytesPerPartition", "FileName" })
        {
            Assert.Contains(name, result.FailureMessage);
        }
    }

    [Fact]
    public void Valid_options_pass_and_leave_no_probe_file_behind()
    {
        using var dir = new TempDirectory();
        var result = new LiteDbWalOptionsValidator().Validate(null, new LiteDbWalOptions { DataDirectory = dir.Path });
        Assert.True(result.Succeeded);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task A_second_wal_on_the_same_directory_is_refused()
    {
        using var dir = new TempDirectory();
        await using var first = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path });
        var ex = await Assert.ThrowsAsync<IOException>(async () => await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path }));
        Assert.Contains("another silo", ex.Message);
    }

    [Fact]
    public async Task Oversized_and_non_consecutive_entries_are_rejected_without_harm()
    {
        using var dir = new TempDirectory();
        await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir.Path, MaxEntryBytes = 100 });
        var store = await wal.OpenPartitionAsync(1);
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SaveAsync(null, Entries.Make(1, 1, 1, size: 101)));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SaveAsync(null, new[] { new Entry(1, 1, default), new Entry(3, 1, default) }));
        await store.SaveAsync(null, Entries.Make(1, 2, 1, size: 100));
        Assert.Equal(2UL, store.LastIndex);
    }
}
