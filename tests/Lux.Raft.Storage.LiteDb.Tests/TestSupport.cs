using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>A fresh directory under the system temp path, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lux-wal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A logger provider that keeps every message, so tests can assert a log line was written.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    public bool Has(LogLevel atLeast, string contains) =>
        Entries.Any(e => e.Level >= atLeast && e.Message.Contains(contains, StringComparison.OrdinalIgnoreCase));

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, eventId, formatter(state, exception)));
    }
}

public static class Entries
{
    /// <summary>Deterministic payload for (index, term) so any reader can check an entry's content.</summary>
    public static byte[] Payload(ulong partition, ulong index, ulong term, int length)
    {
        var data = new byte[length];
        var x = partition * 0x9E3779B97F4A7C15UL ^ index * 0xBF58476D1CE4E5B9UL ^ term * 0x94D049BB133111EBUL;
        for (var i = 0; i < data.Length; i++)
        {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            data[i] = (byte)x;
        }
        return data;
    }

    public static Entry[] Make(ulong from, int count, ulong term, int size = 16, ulong partition = 0) =>
        Enumerable.Range(0, count).Select(i => new Entry(from + (ulong)i, term, Payload(partition, from + (ulong)i, term, size))).ToArray();
}

public static class TestSeed
{
    /// <summary>A random seed, or the one in LUX_TEST_SEED so a failing randomized test replays exactly.</summary>
    public static int Next() =>
        Environment.GetEnvironmentVariable("LUX_TEST_SEED") is { Length: > 0 } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
}
