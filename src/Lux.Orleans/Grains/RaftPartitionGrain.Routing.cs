using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

internal sealed partial class RaftPartitionGrain
{
    private string? _leader;

    /// <summary>The local replica's leader view the router last took a leader from (null: none taken yet).</summary>
    private LeaderView? _viewTaken;

    /// <summary>
    /// Sends one request to the leader's replica until it succeeds or the deadline passes: follows leader hints and
    /// the local replica's leader news, looks the leader up on the live silos when neither names one, and backs off
    /// while the partition elects. An attempt at a leader that was replaced or whose silo the peer channel lost is
    /// abandoned at once (see <see cref="RoutingAttempt"/>) rather than waiting for the attempt limit. A request that
    /// bounds its own wait (<c>boundedElsewhere</c>: a batched proposal, one limit per batch) gets no timer per attempt.
    /// </summary>
    private async Task<byte[]?> SendAsync(Func<string, Task<ReplicaReply>> request, DateTime deadline, CancellationToken cancellationToken,
        bool failedIsRejection = false, bool boundedElsewhere = false)
    {
        var mayHaveCommitted = false;
        string? lastHint = null;
        string? lastProblem = null;
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow >= deadline)
            {
                if (mayHaveCommitted)
                    throw new RaftQuorumUnavailableException(Partition, $"Partition '{Partition}' did not confirm the operation within {host.Options.OperationTimeout} ({lastProblem}); it may still be applied.");
                throw new RaftNotLeaderException(Partition, lastHint, $"No leader of partition '{Partition}' could be reached within {host.Options.OperationTimeout} ({lastProblem ?? "no leader elected"}).");
            }
            if (attempt++ > 0) await PauseBeforeRetryAsync(attempt, cancellationToken);
            var target = KnownLeader() ?? await FindLeaderAsync(cancellationToken);
            if (target is null)
            {
                lastProblem = "no leader known";
                continue;
            }
            AttemptOutcome outcome;
            try
            {
                var call = request(target);
                // This silo's own replica cannot be lost to a silo's death, answers Dropped or NotLeader as soon as
                // it loses leadership, and bounds its own wait by the attempt timeout: nothing to race.
                outcome = target == host.LocalSilo
                    ? AttemptOutcome.Answered(await call.WaitAsync(cancellationToken))
                    : await RoutingAttempt.RunAsync(call, target, host.Find(Partition)?.Leadership, host.PeerLost(target),
                        boundedElsewhere ? Timeout.InfiniteTimeSpan : AttemptLimit, cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                _leader = null;
                lastProblem = $"{target}: {e.GetType().Name}: {e.Message}";
                mayHaveCommitted |= e is TimeoutException;
                continue;
            }
            if (outcome.End == AttemptEnd.Abandoned)
            {
                mayHaveCommitted = true;
                _leader = outcome.NextLeader;
                lastProblem = $"{target}: abandoned: {outcome.Reason}";
                if (_leader is not null) attempt = 0;
                continue;
            }
            var reply = outcome.Reply!;
            switch (reply.Status)
            {
                case ReplicaReplyStatus.Ok:
                    _leader = target;
                    return reply.Payload;
                case ReplicaReplyStatus.NotLeader:
                    lastHint = reply.LeaderHint ?? lastHint;
                    _leader = reply.LeaderHint != target ? reply.LeaderHint : null;
                    lastProblem = $"{target} does not lead";
                    if (_leader is not null) attempt = 0;
                    break;
                case ReplicaReplyStatus.NotFound:
                    _leader = null;
                    lastProblem = $"{target} hosts no replica";
                    break;
                case ReplicaReplyStatus.Busy:
                    lastProblem = $"{target} is busy ({reply.Message})";
                    break;
                case ReplicaReplyStatus.Dropped:
                case ReplicaReplyStatus.Timeout:
                    mayHaveCommitted = true;
                    _leader = null;
                    lastProblem = $"{target}: {reply.Status}";
                    break;
                default:
                    if (failedIsRejection) throw new RaftCommandRejectedException(Partition, reply.Message ?? "refused");
                    throw new RaftPartitionException(Partition, $"Partition '{Partition}' refused the operation: {reply.Message}");
            }
        }
    }

    /// <summary>
    /// The leader to try without asking anyone: the local replica's latest news if it named a leader since the router
    /// last looked (newer than any hint the router holds), else the leader the router last heard of.
    /// </summary>
    private string? KnownLeader()
    {
        if (host.Find(Partition)?.Leadership is { Leader: { } leader } view && !ReferenceEquals(view, _viewTaken))
        {
            _viewTaken = view;
            _leader = leader;
        }
        return _leader;
    }

    /// <summary>
    /// Looks for the leader when the router knows none that it has not tried. The local replica first: it hears of a
    /// new leader no later than any other silo the router could ask, so while it is electing, or names a leader the
    /// peer channel lost, or one the router already tried, the router waits for its next news (at most an election
    /// timeout). Only then it asks the live silos, those the peer channel has not lost first, and takes the leader named
    /// in the highest term (null while electing).
    /// </summary>
    private async Task<string?> FindLeaderAsync(CancellationToken cancellationToken = default)
    {
        if (host.Find(Partition) is { } local)
        {
            var view = local.Leadership;
            if (!Usable(view))
            {
                // An election passes through views without a leader; wait for one that names one.
                using var waited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var timeUp = Task.Delay(MaxElectionTimeout, waited.Token);
                while (!Usable(view) && !timeUp.IsCompleted)
                {
                    await Task.WhenAny(view.Changed, timeUp);
                    cancellationToken.ThrowIfCancellationRequested();
                    view = view.Latest;
                }
                await waited.CancelAsync();
            }
            // After waiting, a leader the peer channel lost is still worth one try: the channel may be all that failed.
            if (Usable(view) || (view.Leader is not null && !ReferenceEquals(view, _viewTaken)))
            {
                _viewTaken = view;
                return _leader = view.Leader;
            }
        }
        var silos = ActiveSilos();
        var reachable = silos.Where(s => !host.IsSuspected(s)).ToArray();
        if (reachable.Length > 0 && reachable.Length < silos.Count)
        {
            // The silos the peer channel lost are asked only when the others name no leader: a suspicion orders the
            // search, it never ends it.
            var (answers, _) = await ClusterQueries.DescribeAsync(GrainFactory, reachable, Partition);
            if (BestLeader(answers) is { } leader) return _leader = leader;
        }
        var (replicas, allAnswered) = await ClusterQueries.DescribeAsync(GrainFactory, silos, Partition);
        if (replicas.Count == 0)
        {
            if (allAnswered) throw new RaftPartitionNotFoundException(Partition);
            return null;
        }
        return _leader = BestLeader(replicas);
    }

    /// <summary>The leader named in the highest term, preferring one the peer channel has not lost (null while electing).</summary>
    private string? BestLeader(IReadOnlyList<ReplicaInfo> replicas)
    {
        var named = replicas.Where(r => r.Leader is not null).ToArray();
        return (named.Where(r => !host.IsSuspected(r.Leader!)).MaxBy(r => r.Term) ?? named.MaxBy(r => r.Term))?.Leader;
    }

    /// <summary>Whether a local leader view names a leader worth trying now: one the peer channel has not lost, not already tried.</summary>
    private bool Usable(LeaderView view) =>
        view.Leader is { } leader && !host.IsSuspected(leader) && !ReferenceEquals(view, _viewTaken);

    /// <summary>
    /// The pause before a retry, cut short when the local replica learns of a leader (which is what the retry waits
    /// for while the partition elects).
    /// </summary>
    private async Task PauseBeforeRetryAsync(int attempt, CancellationToken cancellationToken)
    {
        var pause = BackoffAsync(cancellationToken, attempt);
        if (host.Find(Partition)?.Leadership is { } view) await Task.WhenAny(pause, view.Changed);
        else await pause;
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The longest randomized election timeout: by then a live majority has elected a leader, or split and is trying again.</summary>
    private TimeSpan MaxElectionTimeout => host.Options.TickInterval * (2 * host.Options.ElectionTicks);

    private static Task BackoffAsync(CancellationToken cancellationToken, int attempt = 1) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 << Math.Min(attempt, 5), 250) * (0.5 + Random.Shared.NextDouble() / 2)), cancellationToken);

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is not OutOfMemoryException and not ArgumentException
        && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
