namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// While a read loop hands a burst of already-buffered frames to the handler, sends the handler makes on that thread
/// do not wake their writers one by one: the writers are woken once, when the burst ends. Replies to a burst then leave
/// in one flush (one system call) instead of one each, as they would from a host that collects a Raft Ready batch. The
/// delay is bounded by the burst: frames that had already arrived, at most a few hundred. An idle writer then drains on
/// the read loop's own thread (<see cref="SendQueue.WakeInline"/>): the burst is over and no handler code is on the stack,
/// so the replies leave without waiting for another thread to be scheduled.
/// </summary>
internal sealed class SendBurst : IDisposable
{
    [ThreadStatic] private static SendBurst? t_current;
    [ThreadStatic] private static SendBurst? t_cached;

    private readonly List<SendQueue> _deferred = [];

    public static SendBurst? Current => t_current;

    /// <summary>Opens a burst on this thread, or returns null when one is already open.</summary>
    public static SendBurst? Open()
    {
        if (t_current is not null) return null;
        var burst = t_cached ?? new SendBurst();
        t_cached = null;
        t_current = burst;
        return burst;
    }

    public void Defer(SendQueue queue)
    {
        if (!_deferred.Contains(queue)) _deferred.Add(queue);
    }

    public void Dispose()
    {
        t_current = null;
        foreach (var queue in _deferred) queue.WakeInline();
        _deferred.Clear();
        t_cached = this;
    }
}
