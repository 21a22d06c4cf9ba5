using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

/// <summary>
/// Coalesces a router's concurrent proposals to one replica into batched calls: a proposal goes out at once while fewer
/// than <see cref="MaxCallsInFlight"/> calls to that replica are outstanding, otherwise it waits for one of them to come
/// back and leaves with everything queued behind it. A lone caller pays nothing; under load one grain call (and one
/// Raft append) carries many proposals. Each call is bounded by <c>callLimit</c>: past it every proposal it carried
/// fails with <see cref="TimeoutException"/> (one timer per call, not per proposal). Used only from the router's
/// activation, whose turns never overlap, so it needs no locks.
/// </summary>
internal sealed class ProposalBatcher(Func<string, byte[][], Task<ReplicaReply[]>> send, TimeSpan callLimit)
{
    /// <summary>Outstanding calls per replica before proposals start to queue.</summary>
    public const int MaxCallsInFlight = 8;

    /// <summary>Most proposals one call carries.</summary>
    public const int MaxBatchEntries = 1024;

    /// <summary>Most proposal bytes one call carries (at least one proposal).</summary>
    public const int MaxBatchBytes = 1 << 20;

    private readonly Dictionary<string, Lane> _lanes = [];

    /// <summary>Proposes one encoded session entry to the replica on <paramref name="target"/>.</summary>
    public Task<ReplicaReply> ProposeAsync(string target, byte[] entry)
    {
        if (!_lanes.TryGetValue(target, out var lane)) _lanes[target] = lane = new Lane();
        var done = new TaskCompletionSource<ReplicaReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        lane.Queue.Enqueue((entry, done));
        if (lane.InFlight < MaxCallsInFlight) _ = PumpAsync(target, lane);
        return done.Task;
    }

    private async Task PumpAsync(string target, Lane lane)
    {
        lane.InFlight++;
        try
        {
            while (lane.Queue.Count > 0)
            {
                var batch = Take(lane.Queue);
                var entries = new byte[batch.Length][];
                for (var i = 0; i < batch.Length; i++) entries[i] = batch[i].Entry;
                try
                {
                    var replies = await send(target, entries).WaitAsync(callLimit);
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i].Done.TrySetResult(i < replies.Length ? replies[i] : ReplicaReply.Of(ReplicaReplyStatus.Failed, "the replica answered a batch short"));
                    }
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch) done.TrySetException(e);
                }
            }
        }
        finally
        {
            lane.InFlight--;
            if (lane.InFlight == 0 && lane.Queue.Count == 0) _lanes.Remove(target);
        }
    }

    private static (byte[] Entry, TaskCompletionSource<ReplicaReply> Done)[] Take(Queue<(byte[] Entry, TaskCompletionSource<ReplicaReply> Done)> queue)
    {
        var count = 0;
        long bytes = 0;
        foreach (var (entry, _) in queue)
        {
            if (count > 0 && (count == MaxBatchEntries || bytes + entry.Length > MaxBatchBytes)) break;
            bytes += entry.Length;
            count++;
        }
        var batch = new (byte[] Entry, TaskCompletionSource<ReplicaReply> Done)[count];
        for (var i = 0; i < count; i++) batch[i] = queue.Dequeue();
        return batch;
    }

    private sealed class Lane
    {
        public Queue<(byte[] Entry, TaskCompletionSource<ReplicaReply> Done)> Queue { get; } = new();

        public int InFlight { get; set; }
    }
}
