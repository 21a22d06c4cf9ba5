using Lux.Raft.Sessions;
using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Simulation;

/// <summary>The outcome of one simulated run.</summary>
public sealed record SimulationResult(ulong Seed, IReadOnlyList<string> Violations, SimulationStats Stats)
{
    public bool Ok => Violations.Count == 0;
}

/// <summary>What happened in a run, for the summary line.</summary>
public sealed record SimulationStats(
    int LeadersElected, ulong CommittedIndex, int WritesAcknowledged, int WritesUnknown, int ReadsServed,
    int Crashes, int Partitions, int MembershipChanges, int SnapshotsSent, int SnapshotsInstalled, long MessagesDelivered, long MessagesDropped,
    int StaleReads, int WriteRetries, CheckOutcome Linearizability);

/// <summary>
/// A deterministic simulation of a Raft cluster: replicas on a virtual clock, a network that drops, duplicates,
/// delays, reorders and partitions messages, disks that lose writes not yet synced when their node crashes, clients
/// doing key-value reads and writes, and a nemesis that mixes these faults. Invariants are checked as events happen;
/// the client history is checked for linearizability at the end. Everything derives from the seed.
/// </summary>
public sealed partial class Simulation
{
    private readonly SimulationOptions _options;
    private readonly DeterministicRandom _random;
    private readonly PriorityQueue<Action, (long Time, long Seq)> _events = new();
    private readonly List<SimNode> _nodes = [];
    private readonly List<SimClient> _clients = [];
    private readonly List<Operation> _history = [];
    private readonly InvariantChecker _checker;
    private readonly HashSet<(ulong From, ulong To)> _blocked = [];
    private readonly Dictionary<ulong, long> _restartAt = [];
    private long _seq;
    private long _now;
    private long _nextContext = 1;
    private int _valueCounter;
    private double _dropRate;
    private double _duplicateRate;
    private long _healedAt = long.MaxValue;
    private bool _clientsStopped;
    private int _snapshotsSent, _snapshotsInstalled, _membershipChanges, _writesAcknowledged, _writesUnknown, _readsServed, _crashes, _partitions;
    private long _delivered, _dropped;
    private long _partitionEndsAt = -1;
    private bool _acknowledgedAfterHeal;

    private Simulation(SimulationOptions options)
    {
        _options = options;
        _random = new DeterministicRandom(options.Seed);
        _checker = new InvariantChecker();
    }

    /// <summary>Runs one simulation.</summary>
    public static SimulationResult Run(SimulationOptions options)
    {
        var simulation = new Simulation(options);
        try
        {
            return simulation.Execute();
        }
        catch (Exception e)
        {
            // A crash of the core or the harness is a finding like any other: report it with the seed.
            var violations = simulation._checker.Violations.Append($"t={simulation._now}: exception: {e}").ToList();
            return new SimulationResult(options.Seed, violations, simulation.Stats(CheckOutcome.Unknown));
        }
    }

    private SimulationResult Execute()
    {
        // Spare replicas run from the start with the bootstrap configuration but are not members until added.
        var voters = Enumerable.Range(1, _options.Replicas).Select(i => (ulong)i).ToArray();
        var bootstrap = ConfState.OfVoters(voters);
        for (var i = 1; i <= _options.Replicas + (_options.MembershipChanges ? 2 : 0); i++)
        {
            var node = new SimNode((ulong)i)
            {
                Bootstrap = bootstrap, Config = bootstrap, PreviousConfig = bootstrap,
                UnsafeNoDeduplication = _options.UnsafeNoDeduplication,
                // Time units stand in for milliseconds: 300 ticks without a command expire a session.
                SessionOptions = new SessionOptions
                {
                    SessionTimeout = TimeSpan.FromMilliseconds(300L * _options.TickUnits),
                    MaxSessions = _options.MaxSessions,
                    MaxResultsPerSession = 16,
                },
            };
            node.Disk.SetConfState(bootstrap);
            _nodes.Add(node);
            Start(node);
        }
        for (var c = 0; c < _options.Clients; c++) _clients.Add(new SimClient(c) { LeaderGuess = 1 });

        var units = _options.TickUnits;
        for (var step = 0; step < _options.Steps; step++)
        {
            if (_options.Faults) Nemesis();
            RunClients();
            RunUntil((step + 1L) * units);
            // The first broken invariant fails the seed; what follows a broken state says nothing more.
            if (_checker.Violations.Count > 0) return new SimulationResult(_options.Seed, _checker.Violations, Stats(CheckOutcome.Unknown));
        }

        Heal();
        var livenessEnd = _now + (long)_options.LivenessTicks * units;
        while (_now < livenessEnd && !Converged())
        {
            RunClients();
            RunUntil(_now + units);
        }
        if (!Converged())
        {
            _checker.Violations.Add($"liveness: no leader with a committed write and converged replicas within {_options.LivenessTicks} ticks of healing");
        }

        // Let every outstanding operation finish or time out, then check the history.
        _clientsStopped = true;
        var drainEnd = _now + (_options.ClientTimeoutTicks + 2L) * units;
        while (_now < drainEnd && _clients.Any(c => c.Current is not null))
        {
            RunClients();
            RunUntil(_now + units);
        }

        // A run that already broke an invariant has failed; searching its (likely broken) history would only burn
        // the checker's budget.
        if (_checker.Violations.Count > 0) return new SimulationResult(_options.Seed, _checker.Violations, Stats(CheckOutcome.Unknown));
        var verdict = LinearizabilityChecker.CheckKv(_history);
        if (verdict.Outcome == CheckOutcome.NotLinearizable)
        {
            _checker.Violations.Add($"linearizability: key {verdict.Key}: {verdict.Explanation}");
        }

        return new SimulationResult(_options.Seed, _checker.Violations, Stats(verdict.Outcome));
    }

    private SimulationStats Stats(CheckOutcome linearizability) => new(_checker.LeadersElected, _checker.MaxApplied,
        _writesAcknowledged, _writesUnknown, _readsServed, _crashes, _partitions, _membershipChanges, _snapshotsSent, _snapshotsInstalled, _delivered, _dropped,
        _staleReads, _retries, linearizability);

    private void Schedule(long at, Action action) => _events.Enqueue(action, (at, _seq++));

    private void RunUntil(long end)
    {
        while (_events.TryPeek(out _, out var key) && key.Time <= end)
        {
            var action = _events.Dequeue();
            _now = key.Time;
            action();
        }
        _now = end;
    }

    private sealed class TraceLogger(Simulation simulation) : IRaftLogger
    {
        public void Info(ulong replicaId, string message) => simulation.Trace($"raft {replicaId}: {message}");

        public void Warning(ulong replicaId, string message) => simulation.Trace($"raft {replicaId} warning: {message}");
    }

    private void Trace(string text)
    {
        if (_options.Trace) Console.WriteLine($"[{_now,7}] {text}");
    }

    private void Start(SimNode node)
    {
        var snapshot = node.Disk.Snapshot;
        if (!snapshot.IsEmpty)
        {
            // The state machine resumes from the durable snapshot and replays the log after it.
            node.RestoreState(node.SnapshotData);
            node.Applied = snapshot.Index;
            node.Config = node.PreviousConfig = snapshot.ConfState;
        }
        else
        {
            node.ResetStateMachine();
        }
        var raft = new RawNode(new RaftOptions
        {
            Applied = snapshot.Index,
            Id = node.Id,
            Storage = node.Disk,
            ElectionTick = _options.ElectionTick,
            HeartbeatTick = _options.HeartbeatTick,
            Seed = _options.Seed * 31 + (ulong)node.Epoch,
            MaxSizePerMessage = 4096,
            MaxInflightMessages = 8,
            ReadOnlyOption = _options.LeaseReads ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
            LeaseTicks = _options.LeaseTicks,
            Logger = _options.Trace ? new TraceLogger(this) : NullRaftLogger.Instance,
        });
        node.Raft = raft;
        var epoch = node.Epoch;
        node.TickPeriod = _options.TickUnits * (1 + _options.ClockDrift * (2 * _random.NextDouble() - 1));
        node.NextTickAt = _now + 1 + _random.Next(_options.TickUnits);
        Schedule((long)node.NextTickAt, () => TickNode(node, epoch));
        Trace($"node {node.Id} starts: {node.Disk.HardState}, last index {node.Disk.LastIndex}");
        Pump(node);
    }

    private void TickNode(SimNode node, int epoch)
    {
        if (node.Epoch != epoch || node.Raft is not { } raft) return;
        raft.Tick();
        Pump(node);
        node.NextTickAt += node.TickPeriod;
        Schedule(Math.Max(_now + 1, (long)Math.Round(node.NextTickAt)), () => TickNode(node, epoch));
    }

    /// <summary>Hands the node's work to its "host": persist (with latency), send, apply, advance.</summary>
    private void Pump(SimNode node)
    {
        while (node.Raft is { } raft && node.InFlight is null && raft.HasReady)
        {
            var committedBefore = raft.HardState.Commit;
            var ready = raft.Ready();
            _checker.OnCommit(_now, node, committedBefore, raft.Raft);
            if (ready.SoftState is { Role: StateRole.Leader }) _checker.OnLeader(_now, node, raft.Raft);
            if (ready.SoftState is { } soft) Trace($"node {node.Id} is {soft.Role} (leader {soft.Leader}) at term {raft.HardState.Term}");

            if (_options.UnsafeAcknowledgeBeforeSync)
            {
                // The broken host: everything counts as done before the disk has it.
                Send(node, ready.Messages);
                var epoch = node.Epoch;
                var write = ready;
                // A fixed latency keeps this node's writes in order.
                if (write.HasPersistentState) Schedule(_now + _options.MaxDiskDelay, () => { if (node.Epoch == epoch) Persist(node, write); });
                Apply(node, ready);
                raft.Advance();
                continue;
            }

            node.InFlight = ready;
            node.InFlightMessagesSent = false;
            if (ready.MessagesMayPrecedePersistence)
            {
                Send(node, ready.Messages);
                node.InFlightMessagesSent = true;
            }
            if (ready.HasPersistentState)
            {
                var epoch = node.Epoch;
                Schedule(_now + 1 + _random.Next(_options.MaxDiskDelay), () => CompleteWrite(node, epoch));
                return;
            }
            Complete(node);
        }
    }

    private void CompleteWrite(SimNode node, int epoch)
    {
        if (node.Epoch != epoch || node.InFlight is null) return;
        Persist(node, node.InFlight);
        Complete(node);
        Pump(node);
    }

    private void Persist(SimNode node, Ready ready)
    {
        if (ready.Snapshot is { } snapshot && node.IncomingSnapshots.Remove((snapshot.Index, snapshot.Term), out var data))
        {
            node.Disk.ApplySnapshot(snapshot);
            node.SnapshotData = data;
            node.SnapshotHistory[snapshot.Index] = data;
            node.RestoreState(data);
            node.Applied = snapshot.Index;
            node.PreviousConfig = node.Config = snapshot.ConfState;
            _snapshotsInstalled++;
            Trace($"node {node.Id} installs snapshot {snapshot.Index}/{snapshot.Term}");
        }
        _checker.OnPersist(_now, node, ready.Entries);
        node.Disk.Append(ready.Entries);
        if (ready.HardState is { } hs) node.Disk.SetHardState(hs);
    }

    private void Complete(SimNode node)
    {
        var ready = node.InFlight!;
        if (!node.InFlightMessagesSent) Send(node, ready.Messages);
        Apply(node, ready);
        node.InFlight = null;
        node.Raft!.Advance();
        MaybeCompact(node);
    }

    /// <summary>Now and then a replica snapshots its state machine at the applied index and drops most of the log before it.</summary>
    private void MaybeCompact(SimNode node)
    {
        if (!_options.Snapshots || node.Applied < node.Disk.FirstIndex + (ulong)_options.CompactThreshold || !_random.Chance(0.2)) return;
        var snapshot = node.Disk.CreateSnapshot(node.Applied, node.Config);
        node.SnapshotData = node.SerializeState();
        node.SnapshotHistory[snapshot.Index] = node.SnapshotData;
        foreach (var old in node.SnapshotHistory.Keys.Where(i => i + 2000 < snapshot.Index).ToList()) node.SnapshotHistory.Remove(old);
        node.Disk.Compact(snapshot.Index - (ulong)_random.Next(Math.Min(20, (int)(snapshot.Index - node.Disk.FirstIndex) + 1)));
        Trace($"node {node.Id} snapshots at {snapshot.Index} and compacts to {node.Disk.FirstIndex}");
    }

    private void Apply(SimNode node, Ready ready)
    {
        foreach (var entry in ready.CommittedEntries)
        {
            _checker.OnApply(_now, node, entry, _nodes);
            node.Applied = entry.Index;
            if (entry.Type == EntryType.ConfChange && node.Raft?.ApplyConfChange(entry) is { } config)
            {
                node.PreviousConfig = node.Config;
                node.Config = config;
                Trace($"node {node.Id} applies membership {config}");
            }
            var isCommand = entry.Type == EntryType.Normal && !entry.IsNoop;
            var outcome = isCommand ? node.Apply(entry) : default;
            if (outcome.Applied) OnCommandApplied(node, entry);
            if (node.WaitingWrites.Remove(entry.Index, out var waiter))
            {
                if (waiter.Term == entry.Term && isCommand) OnWriteAnswered(waiter.Client, SessionResult.Decode(outcome.Encoded));
                else WriteLost(waiter.Client);
            }
        }
        foreach (var rs in ready.ReadStates)
        {
            var context = BitConverter.ToInt64(rs.RequestContext.Span);
            if (node.WaitingReads.ContainsKey(context)) node.ConfirmedReads.Add((rs.Index, context));
        }
        for (var i = node.ConfirmedReads.Count - 1; i >= 0; i--)
        {
            var (index, context) = node.ConfirmedReads[i];
            if (node.Applied < index) continue;
            node.ConfirmedReads.RemoveAt(i);
            if (node.WaitingReads.Remove(context, out var client) && client.Current is { } input)
            {
                CompleteRead(client, new KvOutput(node.State.GetValueOrDefault(input.Key)));
            }
        }
    }

    private void Send(SimNode from, IReadOnlyList<Message> messages)
    {
        foreach (var m in messages)
        {
            if (m.Type == MessageType.Snapshot)
            {
                DeliverSnapshot(from, m);
                continue;
            }
            if (_blocked.Contains((m.From, m.To)))
            {
                _dropped++;
                // A transport notices a dead link now and then and says so.
                if (_random.Chance(0.2)) from.Raft?.ReportUnreachable(m.To);
                continue;
            }
            if (_random.Chance(_dropRate))
            {
                _dropped++;
                continue;
            }
            Deliver(m, _now + 1 + _random.Next(_options.MaxMessageDelay));
            if (_random.Chance(_duplicateRate)) Deliver(m, _now + 1 + _random.Next(_options.MaxMessageDelay * 3));
        }
    }

    /// <summary>A snapshot travels with its data (a few ticks, like a chunked transfer); the sender learns whether it arrived.</summary>
    private void DeliverSnapshot(SimNode from, Message m)
    {
        var meta = m.Snapshot!;
        // Every snapshot a node takes or installs is recorded in its history, so the message's data is always there.
        var data = from.SnapshotHistory[meta.Index];
        var epoch = from.Epoch;
        _snapshotsSent++;
        Schedule(_now + 1 + _random.Next(_options.MaxMessageDelay * 4), () =>
        {
            var target = _nodes[(int)m.To - 1];
            var delivered = !_blocked.Contains((m.From, m.To)) && target.Raft is not null && !_random.Chance(_dropRate);
            Trace($"snapshot {meta.Index}/{meta.Term} {m.From}->{m.To} {(delivered ? "delivered" : "lost")}");
            if (delivered)
            {
                target.IncomingSnapshots[(meta.Index, meta.Term)] = data;
                target.Raft!.Step(m);
                Pump(target);
            }
            if (from.Epoch == epoch && from.Raft is { } sender)
            {
                sender.ReportSnapshot(m.To, delivered);
                Pump(from);
            }
        });
    }

    private void Deliver(Message m, long at) => Schedule(at, () =>
    {
        var target = _nodes[(int)m.To - 1];
        if (_blocked.Contains((m.From, m.To)) || target.Raft is not { } raft)
        {
            _dropped++;
            return;
        }
        _delivered++;
        Trace($"deliver {m}");
        raft.Step(m);
        Pump(target);
    });
}
