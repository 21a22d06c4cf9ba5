using System.Collections.Concurrent;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// Cuts off connections that take too long: a handshake past its deadline, or a frame that started arriving and does not
/// complete in time (slow-loris). One timer per transport looks at every live connection.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private readonly ConcurrentDictionary<Supervision, byte> _watched = new();
    private readonly long _handshakeTimeoutMs;
    private readonly long _frameTimeoutMs;
    private readonly Timer _timer;

    public Watchdog(TimeSpan handshakeTimeout, TimeSpan frameTimeout)
    {
        _handshakeTimeoutMs = (long)handshakeTimeout.TotalMilliseconds;
        _frameTimeoutMs = (long)frameTimeout.TotalMilliseconds;
        var period = TimeSpan.FromTicks(Math.Clamp(Math.Min(handshakeTimeout.Ticks, frameTimeout.Ticks) / 4,
            TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _timer = new Timer(static state => ((Watchdog)state!).Check(), this, period, period);
    }

    public Supervision Watch(CancellationToken outer) => new(this, outer);

    internal void Add(Supervision s) => _watched.TryAdd(s, 0);

    internal void Remove(Supervision s) => _watched.TryRemove(s, out _);

    private void Check()
    {
        var now = Environment.TickCount64;
        foreach (var (s, _) in _watched)
        {
            if (!s.Authenticated && now - s.StartedAt > _handshakeTimeoutMs) s.Abort("handshake not completed in time");
            else if (s.Input is { PartialSince: var since and > 0 } && now - since > _frameTimeoutMs) s.Abort("frame not completed in time");
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>One connection under the watchdog's eye: its deadlines and the token that cancels its I/O.</summary>
internal sealed class Supervision : IDisposable
{
    private readonly Watchdog _owner;
    private readonly CancellationTokenSource _cts;
    private string? _abortReason;

    internal Supervision(Watchdog owner, CancellationToken outer)
    {
        _owner = owner;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        StartedAt = Environment.TickCount64;
        owner.Add(this);
    }

    public long StartedAt { get; }

    public bool Authenticated { get; set; }

    public FrameInput? Input { get; set; }

    /// <summary>Cancelled when the connection must end: aborted here, or the outer token fired.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Why the watchdog (or a session) cut the connection, if it did.</summary>
    public string? AbortReason => Volatile.Read(ref _abortReason);

    public Action? OnAbort { get; set; }

    public void Abort(string reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, null) is not null) return;
        try
        {
            _cts.Cancel();
            OnAbort?.Invoke();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends the connection's I/O without cutting the link, so what was flushed still reaches the peer.</summary>
    public void Cancel(string reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, null) is not null) return;
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _owner.Remove(this);
        _cts.Dispose();
    }
}
