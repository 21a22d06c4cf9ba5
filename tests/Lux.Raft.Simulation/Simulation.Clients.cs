using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Simulation;

/// <summary>The simulated clients: one operation at a time each, retried while its outcome is definitely "not applied".</summary>
public sealed partial class Simulation
{
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
        }
        var input = client.Current.Value;
        if (_now >= client.Deadline)
        {
            if (input.Kind != KvOpKind.Get && client.Proposed)
            {
                // It may or may not have been applied: the checker must allow both.
                _history.Add(new Operation(client.Id, input, null, client.CallTime, long.MaxValue));
                _writesUnknown++;
            }
            Detach(client);
            client.Current = null;
            return;
        }
        if (_now < client.NextAttempt) return;
        if (client.Node is not null)
        {
            // A read attempt got no answer in time: abandon it and ask elsewhere (reads have no effect to worry about).
            if (input.Kind != KvOpKind.Get) return;
            Detach(client);
        }
        Attempt(client, input);
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
        var result = raft.Propose(KvCommand.Encode(input));
        if (result.IsAccepted)
        {
            client.Proposed = true;
            client.Node = node.Id;
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
        client.Proposed = false;
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
}
