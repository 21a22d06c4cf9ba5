namespace Lux.Raft.Transport.Tests.Support;

/// <summary>Fired whenever something observable happens (a message delivered, a log line written); waiters re-check their condition.</summary>
public static class Pulse
{
    private static TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Next => Volatile.Read(ref _next).Task;

    public static void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

public static class Wait
{
    /// <summary>Waits, event-driven, until <paramref name="condition"/> holds; fails after <paramref name="deadline"/>.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var limit = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var next = Pulse.Next;
            if (condition()) return;
            var remaining = limit - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"timed out waiting for: {what} (pool threads {ThreadPool.ThreadCount}, pending {ThreadPool.PendingWorkItemCount})");
            // Re-check at least every 50 ms too, for conditions that change without a pulse (counters in other threads).
            try
            {
                await next.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(50, remaining.TotalMilliseconds))).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No pulse within the period: poll the condition again.
            }
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing if it has not completed by the deadline.</summary>
    public static async Task<T> For<T>(Task<T> task, string what, TimeSpan? deadline = null)
    {
        try
        {
            return await task.WaitAsync(deadline ?? TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"timed out waiting for: {what} (pool threads {ThreadPool.ThreadCount}, pending {ThreadPool.PendingWorkItemCount})");
        }
    }

    public static async Task For(Task task, string what, TimeSpan? deadline = null)
    {
        try
        {
            await task.WaitAsync(deadline ?? TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"timed out waiting for: {what} (pool threads {ThreadPool.ThreadCount}, pending {ThreadPool.PendingWorkItemCount})");
        }
    }
}
