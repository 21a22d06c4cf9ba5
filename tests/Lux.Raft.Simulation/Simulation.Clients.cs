using Lux.Raft.Sessions;
using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Simulation;

/// <summary>
/// The simulated clients: one operation at a time each. Writes go through a client session, and a write whose answer
/// is late is retried at another replica with the same sequence number, so the session layer must apply it once.
/// Reads are linearizable (ReadIndex or lease) or, now and then, stale reads of one replica's local state.
/// </summary>
public sealed partial class Simulation
{
    private readonly Dictionary<(ulong Session, ulong Sequence), ulong> _appliedAt = [];
    private readonly Dictionary<string, List<(ulong Index, string? Value)>> _committedValues = [];
    private ulong _lastEffectIndex;
    private int _staleReads, _retries;

    private void RunClients()
    {
        foreach (var client in _clients) RunClient(client);
    }

    private void RunClient(SimClient client)
    {
        if (client.Current is null)
        {
            if (_clientsStopped) return;
            client.Current = NextInput();
            client.CallTime = _now;
            client.Deadline = _now + (long)_options.ClientTimeoutTicks * _options.TickUnits;
            client.Node = null;
            client.Proposed = false;
            client.NextAttempt = _now;
            client.Attempts = 0;
            client.Sequence = 0;
        }
        var input = client.Current.Value;
        if (_now >= client.Deadline)
        {
            if (input.Kind != KvOpKind.Get && client.Proposed) RecordUnknown(client, input);
            if (client.Sequence != 0) client.Session?.Complete(client.Sequence);
            Detach(client);
            client.Current = null;
            return;
        }
        if (_now < client.NextAttempt) return;
        if (client.Node is not null)
        {
            // No answer in time. A read is simply asked elsewhere; a write is retried with its sequence number, which
            // is safe only because the session layer applies each sequence number once.
            if (input.Kind != KvOpKind.Get && !_options.RetryWrites) return;
            if (input.Kind != KvOpKind.Get && client.Sequence != 0) _retries++;
            Detach(client);
        }
        Attempt(client, input);
    }

    private void RecordUnknown(SimClient client, KvInput input)
    {
        // It may or may not have been applied: the checker must allow both.
        _history.Add(new Operation(client.Id, input, null, client.CallTime, long.MaxValue));
        _writesUnknown++;
    }

    private KvInput NextInput()
    {
        var key = "k" + _random.Next(_options.Keys);
        var roll = _random.Next(10);
        if (roll < 4) return new KvInput(KvOpKind.Get, key);
        var value = "v" + ++_valueCounter;
        if (roll < 8) return new KvInput(KvOpKind.Put, key, value);
        var expected = _valueCounter > 1 && _random.Chance(0.7) ? "v" + _random.Next(1, _valueCounter) : null;
        return new KvInput(KvOpKind.Cas, key, value, expected);
    }

    private void Attempt(SimClient client, KvInput input)
    {
        client.Attempts++;
        if (input.Kind == KvOpKind.Get && client.Attempts == 1 && _random.Chance(_options.StaleReadShare))
        {
            StaleRead(client, input);
            return;
        }
        var node = PickNode(client);
        if (node?.Raft is not { } raft)
        {
            client.NextAttempt = _now + _options.TickUnits;
            return;
        }
        if (input.Kind == KvOpKind.Get)
        {
            var context = _nextContext++;
            node.WaitingReads[context] = client;
            client.Node = node.Id;
            client.NextAttempt = _now + 5L * _options.TickUnits;
            raft.ReadIndex(BitConverter.GetBytes(context));
            Pump(node);
            return;
        }

        byte[] data;
        if (client.Session is null)
        {
            // A session comes first; its id is the index its registration commits at.
            client.Registering = true;
            data = SessionCommand.Register(_now);
        }
        else
        {
            client.Registering = false;
            if (client.Sequence == 0) client.Sequence = client.Session.NextSequence();
            data = client.Session.Encode(client.Sequence, _now, KvCommand.Encode(input));
        }
        var result = raft.Propose(data);
        if (result.IsAccepted)
        {
            if (!client.Registering) client.Proposed = true;
            client.Node = node.Id;
            client.NextAttempt = _now + (long)_options.RetryTicks * _options.TickUnits;
            node.WaitingWrites[result.LastIndex] = (result.Term, client);
            Pump(node);
            return;
        }
        client.LeaderGuess = result.LeaderHint != RaftConstants.None ? result.LeaderHint : (ulong)(_random.Next(_nodes.Count) + 1);
        client.NextAttempt = _now + _options.TickUnits / 2;
    }

    private SimNode? PickNode(SimClient client)
    {
        var guess = client.LeaderGuess;
        if (guess >= 1 && guess <= (ulong)_nodes.Count && _nodes[(int)guess - 1].IsUp && _random.Chance(0.9))
        {
            return _nodes[(int)guess - 1];
        }
        var up = _nodes.Where(n => n.IsUp).ToList();
        return up.Count == 0 ? null : up[_random.Next(up.Count)];
    }

    private void Detach(SimClient client)
    {
        if (client.Node is { } id)
        {
            var node = _nodes[(int)id - 1];
            foreach (var key in node.WaitingReads.Where(p => p.Value == client).Select(p => p.Key).ToList()) node.WaitingReads.Remove(key);
            foreach (var key in node.WaitingWrites.Where(p => p.Value.Client == client).Select(p => p.Key).ToList()) node.WaitingWrites.Remove(key);
        }
        client.Node = null;
    }

    /// <summary>The entry a client waited for committed with its term: a registration or a command answered.</summary>
    private void OnWriteAnswered(SimClient client, SessionResult result)
    {
        if (client.Current is not { } input) return;
        client.Node = null;
        if (client.Registering)
        {
            client.Registering = false;
            if (result.Status == SessionResultStatus.Ok) client.Session = new ClientSession(result.SessionId);
            client.NextAttempt = _now;
            return;
        }
        switch (result.Status)
        {
            case SessionResultStatus.Ok:
                client.Session?.Complete(client.Sequence);
                CompleteWrite(client, KvCommand.DecodeOutput(result.Payload.Span));
                break;
            case SessionResultStatus.SessionExpired:
                // An earlier try may have been applied before the session went: the outcome is unknown.
                RecordUnknown(client, input);
                Trace($"client {client.Id} session {client.Session?.SessionId} expired");
                client.Session = null;
                client.Current = null;
                break;
            default:
                _checker.Violations.Add($"t={_now}: session layer answered client {client.Id} sequence {client.Sequence} with {result.Status}");
                client.Current = null;
                break;
        }
    }

    private void CompleteWrite(SimClient client, KvOutput output)
    {
        if (client.Current is not { } input) return;
        _history.Add(new Operation(client.Id, input, output, client.CallTime, _now));
        _writesAcknowledged++;
        if (client.CallTime >= _healedAt) _acknowledgedAfterHeal = true;
        Trace($"client {client.Id} {input.Kind} {input.Key}={input.Value} -> {output}");
        client.Node = null;
        client.Current = null;
    }

    /// <summary>The entry at the proposal's index carries another term: the proposal can never commit, so retrying is safe.</summary>
    private void WriteLost(SimClient client)
    {
        client.Node = null;
        client.NextAttempt = _now;
    }

    private void CompleteRead(SimClient client, KvOutput output)
    {
        if (client.Current is not { } input) return;
        _history.Add(new Operation(client.Id, input, output, client.CallTime, _now));
        _readsServed++;
        Trace($"client {client.Id} get {input.Key} -> {output.Value}");
        Detach(client);
        client.Current = null;
    }

    /// <summary>
    /// A stale read promises only a state the committed log passed through: the value of the key after applying the
    /// log up to the replica's applied index. It is checked against that, not entered into the linearizable history.
    /// </summary>
    private void StaleRead(SimClient client, KvInput input)
    {
        var up = _nodes.Where(n => n.IsUp).ToList();
        if (up.Count == 0)
        {
            client.NextAttempt = _now + _options.TickUnits;
            return;
        }
        var node = up[_random.Next(up.Count)];
        var read = node.State.GetValueOrDefault(input.Key);
        var expected = CommittedValueAt(input.Key, node.Applied);
        if (read != expected)
        {
            _checker.Violations.Add($"t={_now}: stale read of {input.Key} at node {node.Id} (applied {node.Applied}) returned {read ?? "nothing"}, the log had {expected ?? "nothing"} there");
        }
        _staleReads++;
        client.Current = null;
    }

    /// <summary>
    /// Exactly-once: a (session, sequence) pair reaches the user state machine at one log index only, however often
    /// it was proposed. Also records each command's effect on its key, by index, for checking stale reads.
    /// </summary>
    private void OnCommandApplied(SimNode node, Entry entry)
    {
        if (!SessionCommand.TryDecode(entry.Data, out var command)) return;
        if (command.Kind == SessionCommandKind.Command)
        {
            var id = (command.SessionId, command.Sequence);
            if (_appliedAt.TryGetValue(id, out var earlier) && earlier != entry.Index)
            {
                _checker.Violations.Add($"t={_now}: duplicate application: session {id.SessionId} sequence {id.Sequence} applied at {earlier} and again at {entry.Index} (node {node.Id})");
            }
            _appliedAt.TryAdd(id, entry.Index);
        }
        if (entry.Index <= _lastEffectIndex) return;
        _lastEffectIndex = entry.Index;
        var key = KvCommand.KeyOf(command.Payload.Span);
        if (!_committedValues.TryGetValue(key, out var values)) _committedValues[key] = values = [];
        values.Add((entry.Index, node.State.GetValueOrDefault(key)));
    }

    private string? CommittedValueAt(string key, ulong index)
    {
        if (!_committedValues.TryGetValue(key, out var values)) return null;
        string? value = null;
        foreach (var (at, v) in values)
        {
            if (at > index) break;
            value = v;
        }
        return value;
    }
}
