using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Transport.Tests.Support;

/// <summary>Captures log lines (the last few thousand, and a count per event id) so tests can assert on them.</summary>
public sealed class TestLoggerFactory(ITestOutputHelper? output = null, LogLevel? echoLevel = null) : ILoggerFactory, ILoggerProvider
{
    private const int Keep = 4096;
    private static readonly LogLevel EchoDefault = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("LUX_TEST_LOG"), out var l) ? l : LogLevel.Warning;
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Text)> _lines = new();
    private readonly ConcurrentDictionary<int, int> _counts = new();
    private int _echoed;

    public bool Echo { get; set; } = true;

    public IReadOnlyCollection<(LogLevel Level, int EventId, string Text)> Lines => _lines;

    public int CountOf(int eventId) => _counts.TryGetValue(eventId, out var n) ? n : 0;

    public int CountOf(params int[] eventIds) => eventIds.Sum(CountOf);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Write(LogLevel level, EventId id, string text)
    {
        _counts.AddOrUpdate(id.Id, 1, (_, n) => n + 1);
        _lines.Enqueue((level, id.Id, text));
        while (_lines.Count > Keep) _lines.TryDequeue(out _);
        if (Echo && output is not null && level >= (echoLevel ?? EchoDefault) && Interlocked.Increment(ref _echoed) <= 200)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{level}] {text}");
            }
            catch (InvalidOperationException)
            {
                // The test already finished; its output helper no longer takes lines.
            }
        }
        Pulse.Fire();
    }

    private sealed class Logger(TestLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information || !category.StartsWith("Microsoft", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var text = formatter(state, exception) + (exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message);
            owner.Write(logLevel, category.StartsWith("Lux", StringComparison.Ordinal) ? eventId : new EventId(-1), text);
        }
    }
}

/// <summary>Event ids of the transport's log lines (see Diagnostics/Log.cs).</summary>
public static class LogEvents
{
    public const int Refused = 5, ProtocolViolation = 6, Accepted = 7, InboundClosed = 8, SlowPeer = 13, TooManyHandshakes = 15, HandshakeFailed = 17;
}
