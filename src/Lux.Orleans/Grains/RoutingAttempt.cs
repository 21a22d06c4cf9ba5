using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

/// <summary>How one routed attempt ended.</summary>
internal enum AttemptEnd : byte
{
    /// <summary>The replica answered (<see cref="AttemptOutcome.Reply"/>).</summary>
    Answered,

    /// <summary>
    /// Given up before the replica answered, because the answer no longer matters: the local replica saw another
    /// leader, or the peer channel lost the target's silo. Whatever was sent may still be applied.
    /// </summary>
    Abandoned,
}

/// <summary>The end of one attempt: the reply, or why it was abandoned and which leader to try next (if known).</summary>
internal readonly record struct AttemptOutcome(AttemptEnd End, ReplicaReply? Reply, string? NextLeader, string? Reason)
{
    public static AttemptOutcome Answered(ReplicaReply reply) => new(AttemptEnd.Answered, reply, null, null);

    public static AttemptOutcome Abandoned(string? nextLeader, string reason) => new(AttemptEnd.Abandoned, null, nextLeader, reason);
}

/// <summary>
/// One attempt of the partition router at one replica, raced against the news that makes waiting for it pointless.
/// A call to a silo that died is not failed by Orleans until its membership declares the silo dead (seconds to tens
/// of seconds), so without this a request in flight at the leader's death waits for the whole attempt limit, although
/// the surviving replicas elect a new leader within an election timeout. The attempt ends early when the local
/// replica names a leader other than the target (it may have been elected without the target, and the target's
/// answer, if it ever comes, says nothing the new leader cannot), or when the peer channel reports the target's silo
/// unreachable. Neither ends it as a success: an abandoned proposal is retried with the same session sequence number
/// and applied at most once.
/// </summary>
internal static class RoutingAttempt
{
    /// <param name="call">The request in flight at <paramref name="target"/>.</param>
    /// <param name="target">The silo the request went to.</param>
    /// <param name="localView">The local replica's leader view when the request was sent; null when this silo has no replica.</param>
    /// <param name="targetLost">Completes when the peer channel reports <paramref name="target"/> unreachable.</param>
    /// <param name="limit">The attempt's time limit: past it the call fails with <see cref="TimeoutException"/>.</param>
    /// <param name="cancellationToken">Cancels the wait (the call itself goes on).</param>
    /// <exception cref="TimeoutException">The limit passed first.</exception>
    public static async Task<AttemptOutcome> RunAsync(Task<ReplicaReply> call, string target, LeaderView? localView, Task targetLost,
        TimeSpan limit, CancellationToken cancellationToken)
    {
        var bounded = call.WaitAsync(limit, cancellationToken);
        var view = localView;
        while (true)
        {
            var ended = view is null
                ? await Task.WhenAny(bounded, targetLost).ConfigureAwait(false)
                : await Task.WhenAny(bounded, targetLost, view.Changed).ConfigureAwait(false);
            if (ended == bounded) return AttemptOutcome.Answered(await bounded.ConfigureAwait(false));
            if (ended == targetLost)
            {
                Forget(bounded);
                return AttemptOutcome.Abandoned(null, $"the peer channel lost {target}");
            }
            view = view!.Latest;
            if (view.Leader is { } leader && leader != target)
            {
                Forget(bounded);
                return AttemptOutcome.Abandoned(leader, $"the local replica sees {leader} lead in term {view.Term}");
            }
        }
    }

    /// <summary>An abandoned call still ends some day (Orleans fails it or its time limit passes); nobody waits for that.</summary>
    private static void Forget(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}
