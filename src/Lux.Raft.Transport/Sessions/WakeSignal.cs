using System.Threading.Tasks.Sources;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// An auto-reset wake-up for one waiting loop, without allocation. A wake that comes while nobody waits is kept for the
/// next wait; wakes beyond the first coalesce. The waker chooses where the waiting loop resumes: on the thread pool
/// (the default, so a sender never runs I/O on its own thread), or inline on the waking thread — which a read loop uses
/// at the end of a burst, when it holds no caller's locks, to save the thread hop between receiving frames and flushing
/// the replies they caused.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0, Signaled = 1, Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;

    /// <summary>Wakes the waiter, or lets the next wait return at once.</summary>
    /// <param name="resumeInline">Run the waiter's continuation on this thread, before this call returns.</param>
    public void Set(bool resumeInline = false)
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle) return;
                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.RunContinuationsAsynchronously = !resumeInline;
                        _core.SetResult(true);
                        return;
                    }
                    break;
            }
        }
    }

    /// <summary>Waits for a wake; one that happened since the last wait counts. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled) return ValueTask.CompletedTask;
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Only a wake moves Idle on, so it is Signaled: consume it.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
