using System.Diagnostics;
using System.Threading.Channels;
using Lux.Orleans.Diagnostics;
using Lux.Raft;
using Lux.Raft.Membership;
using Lux.Raft.Sessions;
using Lux.Raft.Storage;

namespace Lux.Orleans.Replication;

/// <summary>
/// Drives one local replica: the only code that touches its <see cref="RawNode"/>, its log store and its state machine.
/// Every input (a message, a tick, a proposal, a read) is posted to the replica's inbox; one loop takes what has
/// arrived, feeds it to the node, then carries out the node's Ready (persist, send, apply, serve reads) and advances.
/// Whatever arrives while a Ready's write is being synced waits in the inbox and goes out in the next Ready, so
/// proposals batch themselves under load, and the WAL's group commit batches the writes of all partitions of the silo.
/// </summary>
internal sealed partial class ReplicaRunner
{
    private readonly RaftReplicaHost _host;
    private readonly IRaftLogStore _store;
    private readonly SessionStateMachine _machine;
    private readonly RawNode _node;
    private readonly Channel<Action> _inbox = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<ulong, Pending> _proposals = [];
    private readonly Dictionary<ulong, PendingRead> _reads = [];
    private readonly List<(ulong Index, PendingRead Read)> _readsAwaitingApply = [];
    private readonly Action _tick;
    private readonly CancellationTokenSource _stop = new();
    private int _tickQueued;
    private ulong _nextReadContext;
    private ConfState _conf;
    private ulong _applied;
    private ulong _snapshotIndex;
    private long _bytesSinceSnapshot;
    private SoftState _soft;

    /// <summary>Ticks a removed replica still runs before it retires; -1 while it is a member.</summary>
    private int _retireInTicks = -1;

    /// <summary>1 once removed, for the tick thread: a removed replica keeps ticking even when quiesced.</summary>
    private int _removedFlag;

    private bool Removed => _retireInTicks >= 0;
    private Task _loop = Task.CompletedTask;
    private volatile PublishedState _published;

    private ReplicaRunner(RaftReplicaHost host, PartitionDescriptor descriptor, IRaftLogStore store, SessionStateMachine machine, ulong applied)
    {
        _host = host;
        Descriptor = descriptor;
        Key = descriptor.PartitionKey;
        _store = store;
        _machine = machine;
        _applied = applied;
        _snapshotIndex = store.Snapshot.Index;
        _conf = store.InitialState().ConfState;
        var options = host.Options;
        _node = new RawNode(new RaftOptions
        {
            Id = host.LocalId,
            Storage = store,
            ElectionTick = options.ElectionTicks,
            HeartbeatTick = options.HeartbeatTicks,
            PreVote = options.PreVote,
            CheckQuorum = options.CheckQuorum,
            Applied = applied,
            Seed = (ulong)Random.Shared.NextInt64(),
            Logger = new RaftLoggerAdapter(host, Key),
        });
        _soft = _node.SoftState;
        _tick = OnTick;
        _published = new PublishedState(_soft, _conf);
    }

    public PartitionDescriptor Descriptor { get; }

    /// <summary>The partition's key in the WAL and on the peer channel.</summary>
    public ulong Key { get; }

    /// <summary>Whether this replica leads, as of its last Ready (read from any thread).</summary>
    public bool IsLeader => _published.Soft.Role == StateRole.Leader;

    /// <summary>The configuration this replica last applied (read from any thread).</summary>
    public ConfState Configuration => _published.Conf;

    /// <summary>Set once the loop has ended (stopped, removed or faulted).</summary>
    public Task Completion => _loop;

    /// <summary>
    /// Opens a replica over <paramref name="store"/>: a new one records the bootstrap configuration; an existing one
    /// restores its state machine from its latest snapshot and replays the log after it.
    /// </summary>
    public static async Task<ReplicaRunner> OpenAsync(RaftReplicaHost host, PartitionDescriptor descriptor, IRaftLogStore store,
        SaveConfState saveConfState, CancellationToken cancellationToken)
    {
        var machine = new SessionStateMachine(host.StateMachines.Create(descriptor.StateMachine), host.Options.Sessions);
        var initial = store.InitialState();
        if (initial.ConfState.IsEmpty && store.LastIndex == 0 && store.Snapshot.IsEmpty)
        {
            var voters = descriptor.InitialVoters.Select(RaftIdentity.ReplicaIdOf).ToArray();
            await saveConfState(ConfState.OfVoters(voters), cancellationToken).ConfigureAwait(false);
        }
        ulong applied = 0;
        var snapshot = store.Snapshot;
        if (!snapshot.IsEmpty)
        {
            await using var content = host.Snapshots.OpenRead(descriptor.PartitionKey, snapshot.Index, snapshot.Term)
                ?? throw new InvalidDataException($"partition {descriptor.PartitionId}: the log records snapshot {snapshot.Index}/{snapshot.Term} but its file is missing");
            await machine.RestoreAsync(content, cancellationToken).ConfigureAwait(false);
            applied = snapshot.Index;
        }
        return new ReplicaRunner(host, descriptor, store, machine, applied);
    }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Stops the loop; pending callers get <see cref="ReplicaReplyStatus.NotFound"/>.</summary>
    public async Task StopAsync()
    {
        _inbox.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Step(Message message)
    {
        if (IsQuiesceMarker(message) && message.Type == MessageType.Heartbeat)
        {
            Post(() => OnQuiesceHeartbeat(message));
            return;
        }
        if (IsAcknowledgement(message)) PostQuiet(() => _node.Step(message));
        else Post(() => _node.Step(message));
    }

    public void Tick()
    {
        if (IsQuiesced && Volatile.Read(ref _removedFlag) == 0) return;
        if (Interlocked.Exchange(ref _tickQueued, 1) == 0 && !_inbox.Writer.TryWrite(_tick)) _tickQueued = 0;
    }

    public void Campaign() => Post(_node.Campaign);

    public void ReportUnreachable(ulong replicaId) => Post(() => _node.ReportUnreachable(replicaId));

    private void OnTick()
    {
        Volatile.Write(ref _tickQueued, 0);
        _node.Tick();
        if (_retireInTicks > 0) _retireInTicks--;
        if (_ticksSinceWake < int.MaxValue) _ticksSinceWake++;
        if (_reads.Count > 0) ExpireReads();
        if (_host.Options.EnableQuiescence) ConsiderQuiescing();
    }

    /// <summary>Queues work that counts as activity: it wakes a quiesced replica.</summary>
    private bool Post(Action action)
    {
        Volatile.Write(ref _activity, 1);
        return _inbox.Writer.TryWrite(action);
    }

    /// <summary>Queues work that must not wake a quiesced replica (acknowledgements of its own quiesce notice).</summary>
    private bool PostQuiet(Action action) => _inbox.Writer.TryWrite(action);

    private async Task RunAsync()
    {
        var reader = _inbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var action)) action();
                if (Interlocked.Exchange(ref _activity, 0) == 1) OnActivity();
                while (_node.HasReady) await HandleReadyAsync(_node.Ready()).ConfigureAwait(false);
                // A removed replica stays a little while: as leader it hands leadership to a voter of the new
                // configuration, and if that leader falls at the worst moment it may be the one whose log the new
                // voters need to finish the change (see docs/core.md, "Removing the leader").
                if (_retireInTicks == 0 && _node.SoftState.Role != StateRole.Leader)
                {
                    FailPending(ReplicaReply.NotFound);
                    _inbox.Writer.TryComplete();
                    await _host.OnRemovedAsync(this).ConfigureAwait(false);
                    return;
                }
                if (_host.Options.SnapshotPolicy.ShouldSnapshot(_applied, _snapshotIndex, _bytesSinceSnapshot))
                {
                    await TakeSnapshotAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _inbox.Writer.TryComplete();
            RaftHostLog.ReplicaFaulted(_host.Logger, e, Descriptor.PartitionId, _host.LocalSilo);
        }
        finally
        {
            // Requests queued behind the end still get an answer: run them (proposals are then refused), then fail
            // whatever they left waiting.
            while (reader.TryRead(out var action))
            {
                try
                {
                    action();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    RaftHostLog.RaftWarning(_host.Logger, Key, _host.LocalId, "request after stop: " + e.Message);
                }
            }
            FailPending(ReplicaReply.NotFound);
        }
    }

    private async Task HandleReadyAsync(Ready ready)
    {
        if (ready.SoftState is { } soft) OnSoftState(soft);
        if (ready.MessagesMayPrecedePersistence) Send(ready.Messages);
        if (ready.Snapshot is { } snapshot) await InstallSnapshotAsync(snapshot).ConfigureAwait(false);
        // A hard state that only moves the commit index need not be written (MustSync is false): after a restart the
        // commit index is learned again from the leader, and waiting for a synced commit here would put a second
        // fsync on every write's path on the leader.
        if (ready.Entries.Length > 0 || (ready.HardState is not null && ready.MustSync))
        {
            await _store.SaveAsync(ready.HardState, ready.Entries, _stop.Token).ConfigureAwait(false);
        }
        if (!ready.MessagesMayPrecedePersistence) Send(ready.Messages);
        if (ready.CommittedEntries.Length > 0) Apply(ready.CommittedEntries);
        foreach (var state in ready.ReadStates) OnReadState(state);
        _node.Advance();
        if (_readsAwaitingApply.Count > 0) ServeReadsAwaitingApply();
        _published = new PublishedState(_soft, _conf);
    }

    private void OnSoftState(SoftState soft)
    {
        var previous = _soft;
        _soft = soft;
        if (soft.Role is StateRole.Candidate or StateRole.PreCandidate && previous.Role != soft.Role) _host.Metrics.Elections.Add(1);
        if (soft.Leader != previous.Leader)
        {
            _host.Metrics.LeaderChanges.Add(1);
            RaftHostLog.LeaderChanged(_host.Logger, Descriptor.PartitionId, _host.NameOf(soft.Leader), _node.HardState.Term, _host.LocalSilo);
            PublishLeader(soft.Leader, _node.HardState.Term);
        }
        if (previous.Role == StateRole.Leader && soft.Role != StateRole.Leader)
        {
            // Entries of the lost term may still commit under the next leader; the router retries with the same
            // sequence number and the session table answers with the first result.
            foreach (var proposal in _proposals.Values) proposal.Complete(ReplicaReply.Dropped);
            _proposals.Clear();
            var hint = ReplicaReply.NotLeader(_host.NameOf(soft.Leader));
            foreach (var read in _reads.Values) read.Complete(hint);
            _reads.Clear();
        }
    }

    private void Send(IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            if (message.Type == MessageType.Snapshot)
            {
                SendSnapshot(message);
                continue;
            }
            var peer = _host.NameOf(message.To);
            if (peer is null)
            {
                _node.ReportUnreachable(message.To);
                continue;
            }
            _host.Transport.TrySend(peer, Key, message);
        }
    }

    private void Apply(Entry[] entries)
    {
        foreach (var entry in entries)
        {
            ReplicaReply? reply = null;
            if (entry.Type == EntryType.ConfChange)
            {
                reply = ApplyConfChange(entry);
            }
            else if (!entry.IsNoop)
            {
                var outcome = _machine.ApplyEntry(entry.Index, entry.Data);
                _bytesSinceSnapshot += entry.Data.Length;
                if (_proposals.ContainsKey(entry.Index)) reply = ReplicaReply.Ok(outcome.Encoded);
            }
            _applied = entry.Index;
            if (_proposals.Remove(entry.Index, out var pending))
            {
                if (pending.Term == entry.Term && reply is not null)
                {
                    _host.Metrics.CommitLatency.Record(Stopwatch.GetElapsedTime(pending.StartedAt).TotalMilliseconds);
                    pending.Complete(reply);
                }
                else
                {
                    pending.Complete(ReplicaReply.Dropped);
                }
            }
        }
    }

    private ReplicaReply ApplyConfChange(Entry entry)
    {
        var conf = _node.ApplyConfChange(entry);
        if (conf is null) return ReplicaReply.Of(ReplicaReplyStatus.Failed, "the membership change is not valid for the current configuration");
        _conf = conf;
        RaftHostLog.MembershipApplied(_host.Logger, Descriptor.PartitionId, conf.ToString());
        if (ConfChange.TryDecode(entry.Data.Span, out var change)
            && change.Changes.Any(c => c.Type == ConfChangeType.RemoveNode && c.NodeId == _host.LocalId)
            && !IsMember(conf, _host.LocalId)
            && !Removed)
        {
            _retireInTicks = 2 * _host.Options.ElectionTicks;
            Volatile.Write(ref _removedFlag, 1);
        }
        else if (Removed && IsMember(conf, _host.LocalId))
        {
            // Added back before it retired.
            _retireInTicks = -1;
            Volatile.Write(ref _removedFlag, 0);
        }
        return ReplicaReply.Ok(null);
    }

    internal static bool IsMember(ConfState conf, ulong id) =>
        conf.Voters.Contains(id) || conf.Learners.Contains(id) || conf.VotersOutgoing.Contains(id) || conf.LearnersNext.Contains(id);

    private void FailPending(ReplicaReply reply)
    {
        foreach (var proposal in _proposals.Values) proposal.Complete(reply);
        _proposals.Clear();
        foreach (var read in _reads.Values) read.Complete(reply);
        _reads.Clear();
        foreach (var (_, read) in _readsAwaitingApply) read.Complete(reply);
        _readsAwaitingApply.Clear();
    }

    private sealed record PublishedState(SoftState Soft, ConfState Conf);

    private sealed class RaftLoggerAdapter(RaftReplicaHost host, ulong partitionKey) : IRaftLogger
    {
        public void Info(ulong replicaId, string message) => RaftHostLog.RaftInfo(host.Logger, partitionKey, replicaId, message);

        public void Warning(ulong replicaId, string message) => RaftHostLog.RaftWarning(host.Logger, partitionKey, replicaId, message);
    }
}

/// <summary>Durably records a replica's bootstrap configuration.</summary>
internal delegate ValueTask SaveConfState(ConfState confState, CancellationToken cancellationToken);
