using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Lux.Raft;
using Lux.Raft.Membership;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Replication;

internal sealed partial class ReplicaRunner
{
    /// <summary>
    /// Proposes an encoded session entry. Completes when the entry is applied (with the session result), or as soon as
    /// this replica refuses it or loses leadership. The caller bounds the wait.
    /// </summary>
    public Task<ReplicaReply> ProposeAsync(byte[] entry)
    {
        var pending = new PendingProposal();
        if (!Post(() => Propose(pending, entry))) pending.Complete(ReplicaReply.NotFound);
        return pending.Task;
    }

    /// <summary>
    /// Proposes several encoded session entries as one batch (one log append, one Append message per follower).
    /// Completes when every one of them has its answer, each as <see cref="ProposeAsync"/> would give it.
    /// </summary>
    public Task<ReplicaReply[]> ProposeBatchAsync(byte[][] entries)
    {
        var batch = new PendingBatch(entries.Length);
        if (entries.Length == 0 || !Post(() => ProposeBatch(batch, entries))) batch.CompleteAll(ReplicaReply.NotFound);
        return batch.Task;
    }

    /// <summary>Proposes a membership change; completes when it is applied.</summary>
    public Task<ReplicaReply> ProposeConfChangeAsync(ConfChange change)
    {
        var pending = new PendingProposal();
        if (!Post(() => ProposeConfChange(pending, change))) pending.Complete(ReplicaReply.NotFound);
        return pending.Task;
    }

    public Task<ReplicaReply> ReadAsync(byte[] query, ReadConsistency consistency)
    {
        var read = new PendingRead(query, Stopwatch.GetTimestamp());
        if (!Post(() => Read(read, consistency))) read.Complete(ReplicaReply.NotFound);
        return read.Task;
    }

    public Task<ReplicaReply> TransferLeadershipAsync(ulong transferee)
    {
        var done = new TaskCompletionSource<ReplicaReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Post(() =>
            {
                if (_soft.Role != StateRole.Leader)
                {
                    done.TrySetResult(ReplicaReply.NotLeader(_host.NameOf(_soft.Leader)));
                    return;
                }
                if (!_conf.Voters.Contains(transferee))
                {
                    done.TrySetResult(ReplicaReply.Of(ReplicaReplyStatus.Failed, "the transferee is not a voter"));
                    return;
                }
                _node.TransferLeadership(transferee);
                done.TrySetResult(ReplicaReply.Ok(null));
            }))
        {
            done.TrySetResult(ReplicaReply.NotFound);
        }
        return done.Task;
    }

    /// <summary>This replica's view of the partition, built on its own loop so it is consistent; asking is not activity (a status poll does not wake a quiesced replica).</summary>
    public Task<ReplicaInfo?> GetInfoAsync()
    {
        var done = new TaskCompletionSource<ReplicaInfo?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!PostQuiet(() => done.TrySetResult(BuildInfo()))) done.TrySetResult(null);
        return done.Task;
    }

    private void Propose(PendingProposal pending, byte[] entry)
    {
        var result = _node.Propose(entry);
        if (!result.IsAccepted)
        {
            _host.Metrics.ProposalsRejected.Add(1);
            pending.Complete(Refusal(result));
            return;
        }
        _host.Metrics.Proposals.Add(1);
        pending.Accepted(result.Term);
        _proposals[result.FirstIndex] = pending;
    }

    private void ProposeBatch(PendingBatch batch, byte[][] entries)
    {
        var data = new ReadOnlyMemory<byte>[entries.Length];
        for (var i = 0; i < entries.Length; i++) data[i] = entries[i];
        var result = _node.Propose(data);
        if (!result.IsAccepted)
        {
            _host.Metrics.ProposalsRejected.Add(entries.Length);
            batch.CompleteAll(Refusal(result));
            return;
        }
        _host.Metrics.Proposals.Add(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var member = new PendingBatchMember(batch, i);
            member.Accepted(result.Term);
            _proposals[result.FirstIndex + (ulong)i] = member;
        }
    }

    private void ProposeConfChange(PendingProposal pending, ConfChange change)
    {
        var result = _node.ProposeConfChange(change);
        if (!result.IsAccepted)
        {
            pending.Complete(Refusal(result));
            return;
        }
        pending.Accepted(result.Term);
        _proposals[result.FirstIndex] = pending;
    }

    private ReplicaReply Refusal(ProposeResult result) => result.Rejection switch
    {
        ProposalRejection.NotLeader => ReplicaReply.NotLeader(_host.NameOf(result.LeaderHint)),
        ProposalRejection.Empty => ReplicaReply.Of(ReplicaReplyStatus.Failed, "empty proposal"),
        _ => ReplicaReply.Of(ReplicaReplyStatus.Busy, result.Rejection.ToString()),
    };

    private void Read(PendingRead read, ReadConsistency consistency)
    {
        _host.Metrics.Reads.Add(1);
        if (consistency == ReadConsistency.Stale)
        {
            Serve(read);
            return;
        }
        if (_soft.Role != StateRole.Leader)
        {
            read.Complete(ReplicaReply.NotLeader(_host.NameOf(_soft.Leader)));
            return;
        }
        if (consistency == ReadConsistency.Lease && _host.Options.CheckQuorum && LeaseUsable && _node.LeaseValid)
        {
            // Thesis §6.4.1: while the lease holds no other leader can have been elected, so the commit index is current.
            ServeAt(_node.HardState.Commit, read);
            return;
        }
        var context = ++_nextReadContext;
        _reads[context] = read;
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, context);
        _node.ReadIndex(bytes);
    }

    private void OnReadState(ReadState state)
    {
        if (state.RequestContext.Length != 8) return;
        var context = BinaryPrimitives.ReadUInt64LittleEndian(state.RequestContext.Span);
        if (_reads.Remove(context, out var read)) ServeAt(state.Index, read);
    }

    private void ServeAt(ulong index, PendingRead read)
    {
        if (_applied >= index) Serve(read);
        else _readsAwaitingApply.Add((index, read));
    }

    private void ServeReadsAwaitingApply()
    {
        _readsAwaitingApply.RemoveAll(waiting =>
        {
            if (waiting.Index > _applied) return false;
            Serve(waiting.Read);
            return true;
        });
    }

    private void Serve(PendingRead read)
    {
        try
        {
            var result = _machine.Query(read.Query);
            read.Complete(ReplicaReply.Ok(MemoryMarshal.TryGetArray(result, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : result.ToArray()));
        }
        catch (Exception e) when (e is CommandRejectedException or InvalidDataException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            read.Complete(ReplicaReply.Of(ReplicaReplyStatus.Failed, e.Message));
        }
    }

    /// <summary>Read requests lost with a leadership change that this replica did not notice are answered Dropped after the attempt timeout.</summary>
    private void ExpireReads()
    {
        var limit = _host.Options.AttemptTimeout;
        List<ulong>? expired = null;
        foreach (var (context, read) in _reads)
        {
            if (Stopwatch.GetElapsedTime(read.StartedAt) > limit) (expired ??= []).Add(context);
        }
        if (expired is null) return;
        foreach (var context in expired)
        {
            if (_reads.Remove(context, out var read)) read.Complete(ReplicaReply.Dropped);
        }
    }

    private ReplicaInfo BuildInfo()
    {
        var status = _node.Status();
        var members = new List<ReplicaStatus>();
        void Add(IEnumerable<ulong> ids, ReplicaRole role)
        {
            foreach (var id in ids)
            {
                if (members.Any(m => m.ReplicaId == id)) continue;
                status.Progress.TryGetValue(id, out var progress);
                members.Add(new ReplicaStatus
                {
                    Silo = _host.NameOf(id) ?? id.ToString("x16"),
                    ReplicaId = id,
                    Role = role,
                    MatchIndex = id == _host.LocalId && status.SoftState.Role == StateRole.Leader ? status.LastIndex : progress.Match,
                    RecentActive = id == _host.LocalId || progress.RecentActive,
                });
            }
        }
        Add(_conf.Voters, ReplicaRole.Voter);
        Add(_conf.VotersOutgoing, ReplicaRole.OutgoingVoter);
        Add(_conf.Learners, ReplicaRole.Learner);
        Add(_conf.LearnersNext, ReplicaRole.Learner);
        return new ReplicaInfo
        {
            Descriptor = Descriptor,
            Silo = _host.LocalSilo,
            Leader = _host.NameOf(status.SoftState.Leader),
            Term = status.HardState.Term,
            CommitIndex = status.HardState.Commit,
            AppliedIndex = _applied,
            FirstLogIndex = _store.FirstIndex,
            SnapshotIndex = _store.Snapshot.Index,
            Members = members,
        };
    }

    /// <summary>A proposal waiting for its entry to be applied.</summary>
    /// <summary>A proposal waiting for its entry to be applied, refused or dropped; completed on the replica's loop.</summary>
    private abstract class Pending
    {
        public ulong Term { get; private set; }

        public long StartedAt { get; private set; }

        public void Accepted(ulong term)
        {
            Term = term;
            StartedAt = Stopwatch.GetTimestamp();
        }

        public abstract void Complete(ReplicaReply reply);
    }

    private sealed class PendingProposal : Pending
    {
        private readonly TaskCompletionSource<ReplicaReply> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<ReplicaReply> Task => _done.Task;

        public override void Complete(ReplicaReply reply) => _done.TrySetResult(reply);
    }

    /// <summary>One entry of a <see cref="PendingBatch"/>.</summary>
    private sealed class PendingBatchMember(PendingBatch batch, int slot) : Pending
    {
        public override void Complete(ReplicaReply reply) => batch.Complete(slot, reply);
    }

    /// <summary>The answers of a batch of proposals, handed back together once the last one is known.</summary>
    private sealed class PendingBatch(int count)
    {
        private readonly ReplicaReply?[] _replies = new ReplicaReply?[count];
        private readonly TaskCompletionSource<ReplicaReply[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;

        public Task<ReplicaReply[]> Task => _done.Task;

        public void Complete(int slot, ReplicaReply reply)
        {
            if (Interlocked.CompareExchange(ref _replies[slot], reply, null) is not null) return;
            if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult(_replies!);
        }

        public void CompleteAll(ReplicaReply reply)
        {
            for (var i = 0; i < _replies.Length; i++) Complete(i, reply);
            if (_replies.Length == 0) _done.TrySetResult([]);
        }
    }

    /// <summary>A read waiting for leadership to be confirmed or for the state machine to catch up.</summary>
    private sealed class PendingRead(byte[] query, long startedAt)
    {
        private readonly TaskCompletionSource<ReplicaReply> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public byte[] Query { get; } = query;

        public long StartedAt { get; } = startedAt;

        public Task<ReplicaReply> Task => _done.Task;

        public void Complete(ReplicaReply reply) => _done.TrySetResult(reply);
    }
}
