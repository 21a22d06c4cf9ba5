using Lux.Raft.Transport.Sessions;

namespace Lux.Raft.Transport.Tests.Sessions;

public sealed class WakeSignalTests
{
    [Fact]
    public void A_wake_before_the_wait_lets_the_wait_return_at_once_and_wakes_coalesce()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();
        Assert.True(signal.WaitAsync().IsCompleted);
        Assert.False(signal.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task An_inline_wake_runs_the_waiter_on_the_waking_thread_before_returning()
    {
        var signal = new WakeSignal();
        int? resumedOn = null;
        var waiter = WaitThenRecord(signal, id => resumedOn = id);
        Assert.False(waiter.IsCompleted);
        var waker = await Task.Run(() =>
        {
            signal.Set(resumeInline: true);
            // The continuation already ran, on this thread, by the time Set returned.
            Assert.Equal(Environment.CurrentManagedThreadId, resumedOn);
            return Environment.CurrentManagedThreadId;
        });
        await waiter;
        Assert.Equal(waker, resumedOn);
    }

    [Fact]
    public async Task A_plain_wake_returns_before_the_waiter_runs()
    {
        var signal = new WakeSignal();
        var wakerReturned = new ManualResetEventSlim();
        var sawWakerReturn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Had the waiter run inside Set, the waker could not return while it waits here, and the wait would time out.
        var waiter = WaitThenRecord(signal, _ => sawWakerReturn.SetResult(wakerReturned.Wait(TimeSpan.FromSeconds(30))));
        await Task.Run(() =>
        {
            signal.Set();
            wakerReturned.Set();
        });
        Assert.True(await sawWakerReturn.Task);
        await waiter;
    }

    [Fact]
    public async Task Many_wakers_against_one_waiter_never_lose_the_last_wake()
    {
        var signal = new WakeSignal();
        var produced = 0;
        var consumed = 0;
        const int Total = 200_000;
        var consumer = Task.Run(async () =>
        {
            while (Volatile.Read(ref consumed) < Total)
            {
                await signal.WaitAsync().ConfigureAwait(false);
                Volatile.Write(ref consumed, Volatile.Read(ref produced));
            }
        });
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < Total / 4; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Set(resumeInline: (i & 1) == 0);
            }
        })).ToArray();
        await Task.WhenAll(producers);
        await consumer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Total, Volatile.Read(ref consumed));
    }

    private static async Task WaitThenRecord(WakeSignal signal, Action<int> record)
    {
        // No captured context: the test framework's would take the continuation off the waking thread.
        await signal.WaitAsync().ConfigureAwait(false);
        record(Environment.CurrentManagedThreadId);
    }
}
