using Microsoft.Extensions.Options;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// Checks <see cref="LiteDbWalOptions"/>: limits in range, and a data directory that exists (or can be created) and
/// can be written, so a bad path fails the silo's start with a message that names it.
/// </summary>
public sealed class LiteDbWalOptionsValidator : IValidateOptions<LiteDbWalOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LiteDbWalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxEntryBytes <= 0) failures.Add($"{nameof(options.MaxEntryBytes)} must be positive (was {options.MaxEntryBytes}).");
        if (options.MaxBatchBytes <= 0) failures.Add($"{nameof(options.MaxBatchBytes)} must be positive (was {options.MaxBatchBytes}).");
        if (options.MaxChunkBytes < 4096) failures.Add($"{nameof(options.MaxChunkBytes)} must be at least 4096 (was {options.MaxChunkBytes}).");
        if (options.MaxChunkBytes > 8 * 1024 * 1024) failures.Add($"{nameof(options.MaxChunkBytes)} must be at most 8 MiB, below LiteDB's document limit (was {options.MaxChunkBytes}).");
        if (options.CheckpointBytes < 64 * 1024) failures.Add($"{nameof(options.CheckpointBytes)} must be at least 64 KiB (was {options.CheckpointBytes}).");
        if (options.SegmentBytes < 4096) failures.Add($"{nameof(options.SegmentBytes)} must be at least 4096 (was {options.SegmentBytes}).");
        if (options.SegmentBytes > 1L << 40) failures.Add($"{nameof(options.SegmentBytes)} must be at most 1 TiB (was {options.SegmentBytes}).");
        if (options.EntryCacheBytesPerPartition < 0) failures.Add($"{nameof(options.EntryCacheBytesPerPartition)} must not be negative (was {options.EntryCacheBytesPerPartition}).");
        if (options.CommitWriteTimeout <= TimeSpan.Zero) failures.Add($"{nameof(options.CommitWriteTimeout)} must be positive (was {options.CommitWriteTimeout}).");
        if (string.IsNullOrWhiteSpace(options.FileName) || options.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || options.FileName.Contains(Path.DirectorySeparatorChar) || options.FileName.Contains(Path.AltDirectorySeparatorChar))
        {
            failures.Add($"{nameof(options.FileName)} must be a plain file name (was '{options.FileName}').");
        }
        var directoryProblem = CheckDirectory(options.DataDirectory);
        if (directoryProblem is not null) failures.Add(directoryProblem);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem with <paramref name="options"/>.</summary>
    public static void ValidateOrThrow(LiteDbWalOptions options)
    {
        var result = new LiteDbWalOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LiteDbWalOptions), result.Failures);
        }
    }

    private static string? CheckDirectory(string directory)
    {
        const string Name = nameof(LiteDbWalOptions.DataDirectory);
        if (string.IsNullOrWhiteSpace(directory)) return $"{Name} is required.";
        if (directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0) return $"{Name} '{directory}' contains characters that are not valid in a path.";
        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"{Name} '{directory}' is not a valid path: {ex.Message}";
        }
        if (File.Exists(full)) return $"{Name} '{full}' is a file, not a directory.";
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{Name} '{full}' does not exist and cannot be created: {ex.Message}";
        }
        var probe = Path.Combine(full, $".lux-wal-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                stream.WriteByte(1);
                stream.Flush(flushToDisk: true);
            }
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{Name} '{full}' is not writable: {ex.Message}";
        }
        return null;
    }
}
