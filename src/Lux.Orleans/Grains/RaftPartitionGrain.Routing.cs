using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

internal sealed partial class RaftPartitionGrain
{
    private string? _leader;

    /// <summary>
    /// Sends one request to the leader's replica until it succeeds or the deadline passes: follows leader hints, looks
    /// the leader up on every live silo when no hint is left, and backs off while the partition elects.
    /// </summary>
    private async Task<byte[]?> SendAsync(Func<string, Task<ReplicaReply>> request, DateTime deadline, CancellationToken cancellationToken,
        bool failedIsRejection = false)
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
            if (attempt++ > 0) await BackoffAsync(cancellationToken, attempt);
            var target = _leader ?? await FindLeaderAsync();
            if (target is null)
            {
                lastProblem = "no leader known";
                continue;
            }
            ReplicaReply reply;
            try
            {
                reply = await request(target).WaitAsync(AttemptLimit, cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                _leader = null;
                lastProblem = $"{target}: {e.GetType().Name}: {e.Message}";
                mayHaveCommitted |= e is TimeoutException;
                continue;
            }
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

    /// <summary>Asks every live silo about the partition and returns the leader named in the highest term (null while electing).</summary>
    private async Task<string?> FindLeaderAsync()
    {
        var (replicas, allAnswered) = await ClusterQueries.DescribeAsync(GrainFactory, ActiveSilos(), Partition);
        if (replicas.Count == 0)
        {
            if (allAnswered) throw new RaftPartitionNotFoundException(Partition);
            return null;
        }
        var best = replicas.Where(r => r.Leader is not null).MaxBy(r => r.Term);
        _leader = best?.Leader;
        return _leader;
    }

    private static Task BackoffAsync(CancellationToken cancellationToken, int attempt = 1) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 << Math.Min(attempt, 5), 250) * (0.5 + Random.Shared.NextDouble() / 2)), cancellationToken);

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is not OutOfMemoryException and not ArgumentException
        && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
