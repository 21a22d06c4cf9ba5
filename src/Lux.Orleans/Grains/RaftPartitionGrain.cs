using Lux.Orleans.Placement;
using Lux.Orleans.Replication;
using Lux.Orleans.StateMachines;
using Lux.Raft.Sessions;
using Orleans.Concurrency;
using Orleans.GrainDirectory;

namespace Lux.Orleans.Grains;

/// <summary>
/// The router of one partition: one reentrant activation per silo (a stateless worker), so any caller reaches a local
/// one. It holds a client session with the partition's state machine, routes every request to the leader's replica
/// grain, follows leader hints and retries through elections and silo failures until the operation timeout. A retried
/// proposal keeps its sequence number, so the session table applies it once and answers the retry with the first result.
/// </summary>
// Idle-worker removal gives every partition's activation a 500 ms timer: 1,000 idle partitions made ~2,000 timer
// callbacks a second per cluster; with one worker there is nothing to trim, and collection age deactivates it instead.
[StatelessWorker(1, removeIdleWorkers: false)]
[GrainDirectory(LocalWorkerGrainDirectory.Name)]
[Reentrant]
internal sealed partial class RaftPartitionGrain(RaftReplicaHost host, IRaftPayloadCodec codec, IClusterMembershipService membership)
    : Grain, IRaftPartitionGrain
{
    private ClientSession? _session;
    private Task<ClientSession>? _registering;
    private ProposalBatcher? _batcher;

    private string Partition => this.GetPrimaryKeyString();

    public async Task<object?> ProposeAsync(object command, CancellationToken cancellationToken)
    {
        var payload = codec.Encode(command);
        var deadline = Deadline();
        var session = await GetSessionAsync(deadline, cancellationToken);
        while (true)
        {
            var sequence = session.NextSequence();
            SessionResult result;
            try
            {
                var reply = await SendAsync(target => Batcher.ProposeAsync(target, session.Encode(sequence, NowMs(), payload)), deadline, cancellationToken,
                    boundedElsewhere: true);
                result = SessionResult.Decode(reply ?? []);
            }
            finally
            {
                session.Complete(sequence);
            }
            switch (result.Status)
            {
                case SessionResultStatus.Ok:
                    return codec.Decode(result.Payload);
                case SessionResultStatus.Rejected:
                    throw new RaftCommandRejectedException(Partition, result.RejectionReason);
                case SessionResultStatus.SessionExpired:
                    // The command was not applied: open a new session and propose it again there.
                    session = await RenewSessionAsync(session, deadline, cancellationToken);
                    continue;
                default:
                    throw new RaftPartitionException(Partition, $"Partition '{Partition}' answered {result.Status} to a proposal.");
            }
        }
    }

    public async Task<object?> ReadAsync(object query, ReadConsistency consistency, CancellationToken cancellationToken)
    {
        var payload = codec.Encode(query).AsImmutable();
        var deadline = Deadline();
        if (consistency == ReadConsistency.Stale && host.Find(Partition) is { } local)
        {
            // A local replica answers without a network hop; if it is busy or stopping, any other replica will do.
            var reply = await local.ReadAsync(payload.Value, consistency).WaitAsync(host.Options.AttemptTimeout, cancellationToken)
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ReplicaReply.TimedOut, TaskScheduler.Current);
            if (reply.Status == ReplicaReplyStatus.Ok) return codec.Decode(reply.Payload);
        }
        var result = await SendAsync(target => Replica(target).ReadAsync(payload, consistency), deadline, cancellationToken, failedIsRejection: true);
        return codec.Decode(result);
    }

    public async Task<PartitionStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            return ToStatus(await LeaderInfoAsync(Deadline(), cancellationToken));
        }
        catch (RaftNotLeaderException)
        {
            // No leader: report what the most advanced replica knows.
            var (replicas, _) = await ClusterQueries.DescribeAsync(GrainFactory, ActiveSilos(), Partition);
            if (replicas.Count == 0) throw new RaftPartitionNotFoundException(Partition);
            return ToStatus(replicas.MaxBy(r => (r.Term, r.CommitIndex))!);
        }
    }

    private static PartitionStatus ToStatus(ReplicaInfo info) => new()
    {
        PartitionId = info.Descriptor.PartitionId,
        StateMachine = info.Descriptor.StateMachine,
        Leader = info.Leader,
        Term = info.Term,
        CommitIndex = info.CommitIndex,
        AppliedIndex = info.AppliedIndex,
        Members = info.Members,
        ReportedBy = info.Silo,
    };

    private async Task<ClientSession> GetSessionAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        if (_session is { } session) return session;
        _registering ??= RegisterAsync(deadline, cancellationToken);
        try
        {
            return _session = await _registering;
        }
        finally
        {
            _registering = null;
        }
    }

    private async Task<ClientSession> RenewSessionAsync(ClientSession expired, DateTime deadline, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(_session, expired)) _session = null;
        return await GetSessionAsync(deadline, cancellationToken);
    }

    private async Task<ClientSession> RegisterAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(target => Replica(target).ProposeAsync(SessionCommand.Register(NowMs()).AsImmutable()), deadline, cancellationToken);
        return new ClientSession(SessionResult.Decode(reply ?? []).SessionId);
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private DateTime Deadline() => DateTime.UtcNow + host.Options.OperationTimeout;

    // The replica grain bounds its own wait by the attempt timeout; this bound covers a silo that does not answer at all.
    private TimeSpan AttemptLimit => host.Options.AttemptTimeout + TimeSpan.FromSeconds(1);

    private ProposalBatcher Batcher => _batcher ??= new ProposalBatcher(ProposeBatchAsync, AttemptLimit);

    /// <summary>One batch to the replica on <paramref name="silo"/>: straight to the replica host when it is this silo.</summary>
    private Task<ReplicaReply[]> ProposeBatchAsync(string silo, byte[][] entries) =>
        silo == host.LocalSilo
            ? host.ProposeBatchAsync(Partition, entries)
            : Replica(silo).ProposeBatchAsync(entries.AsImmutable());

    private IRaftReplicaGrain Replica(string silo) => GrainFactory.GetGrain<IRaftReplicaGrain>(RaftIdentity.ReplicaGrainKey(Partition, silo));

    private IReadOnlyList<string> ActiveSilos() => RaftReplicaHost.ActiveSilos(membership.CurrentSnapshot);
}
