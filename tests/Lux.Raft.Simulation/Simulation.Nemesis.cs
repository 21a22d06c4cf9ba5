namespace Lux.Raft.Simulation;

/// <summary>The fault injector: crashes and restarts, symmetric and asymmetric partitions, lossy links, transfers.</summary>
public sealed partial class Simulation
{
    private void Nemesis()
    {
        var units = _options.TickUnits;
        foreach (var (id, at) in _restartAt.ToList())
        {
            if (_now < at) continue;
            _restartAt.Remove(id);
            Start(_nodes[(int)id - 1]);
        }
        if (_partitionEndsAt >= 0 && _now >= _partitionEndsAt)
        {
            _blocked.Clear();
            _partitionEndsAt = -1;
            Trace("partition healed");
        }

        if (!_random.Chance(0.03)) return;
        switch (_random.Next(_options.MembershipChanges ? 9 : 7))
        {
            case 0:
            case 1:
                CrashSomeone(units);
                break;
            case 2:
                if (_partitionEndsAt < 0) Partition(symmetric: true);
                break;
            case 3:
                if (_partitionEndsAt < 0) Partition(symmetric: false);
                break;
            case 4:
                _dropRate = _random.Chance(0.5) ? 0 : _random.NextDouble() * 0.2;
                _duplicateRate = _random.Chance(0.5) ? 0 : _random.NextDouble() * 0.1;
                Trace($"links: drop {_dropRate:P0}, duplicate {_duplicateRate:P0}");
                break;
            case 7:
            case 8:
                ChangeMembership();
                break;
            case 5:
                if (Leader() is { } leader)
                {
                    var target = (ulong)(_random.Next(_nodes.Count) + 1);
                    Trace($"transfer leadership from {leader.Id} to {target}");
                    leader.Raft!.TransferLeadership(target);
                    Pump(leader);
                }
                break;
            case 6:
                if (_partitionEndsAt < 0 && Leader() is { } isolated) Isolate(isolated.Id);
                break;
        }
    }

    private void CrashSomeone(int units)
    {
        var up = _nodes.Where(n => n.IsUp).ToList();
        if (up.Count == 0) return;
        // Prefer the leader half the time: that is where the interesting failures are.
        var victim = Leader() is { } leader && _random.Chance(0.5) ? leader : up[_random.Next(up.Count)];
        var torn = victim.InFlight is { Entries.Length: > 0 } inFlight && _random.Chance(0.3) ? inFlight : null;
        if (torn is not null)
        {
            // A torn write: a prefix of the entries reached the disk, the hard state may or may not have.
            var prefix = torn.Entries.AsSpan(0, 1 + _random.Next(torn.Entries.Length));
            _checker.OnPersist(_now, victim, prefix);
            victim.Disk.Append(prefix);
            if (torn.HardState is { } hs && _random.Chance(0.5)) victim.Disk.SetHardState(hs);
        }
        victim.Crash();
        _crashes++;
        _restartAt[victim.Id] = _now + (long)(5 + _random.Next(100)) * units;
        Trace($"crash node {victim.Id}{(torn is not null ? " (torn write)" : "")}");
    }

    private void Partition(bool symmetric)
    {
        _partitions++;
        var ids = _nodes.Select(n => n.Id).ToList();
        var side = ids.Where(_ => _random.Chance(0.5)).ToHashSet();
        foreach (var a in ids)
        {
            foreach (var b in ids)
            {
                if (a == b || side.Contains(a) == side.Contains(b)) continue;
                if (symmetric || _random.Chance(0.5)) _blocked.Add((a, b));
            }
        }
        _partitionEndsAt = _now + (long)(10 + _random.Next(150)) * _options.TickUnits;
        Trace($"partition ({(symmetric ? "symmetric" : "asymmetric")}) {{{string.Join(",", side)}}} | rest: {string.Join(" ", _blocked.Select(l => $"{l.From}->{l.To}"))}");
    }

    private void Isolate(ulong id)
    {
        _partitions++;
        foreach (var n in _nodes)
        {
            if (n.Id == id) continue;
            _blocked.Add((id, n.Id));
            _blocked.Add((n.Id, id));
        }
        _partitionEndsAt = _now + (long)(10 + _random.Next(100)) * _options.TickUnits;
        Trace($"isolate leader {id}");
    }

    private SimNode? Leader() =>
        _nodes.Where(n => n.Raft?.SoftState.Role == StateRole.Leader).OrderByDescending(n => n.Raft!.HardState.Term).FirstOrDefault();

    private void Heal()
    {
        _blocked.Clear();
        _partitionEndsAt = -1;
        _dropRate = 0;
        _duplicateRate = 0;
        foreach (var id in _restartAt.Keys.ToList())
        {
            _restartAt.Remove(id);
            Start(_nodes[(int)id - 1]);
        }
        _healedAt = _now;
        Trace("healed");
    }

    /// <summary>Liveness after healing: a leader, a write acknowledged since the heal, and all members applied alike.</summary>
    private bool Converged()
    {
        if (!_acknowledgedAfterHeal || Leader() is not { } leader) return false;
        var commit = leader.Raft!.HardState.Commit;
        var members = leader.Raft.Status().ConfState;
        var ids = members.Voters.Concat(members.Learners).Concat(members.VotersOutgoing).ToHashSet();
        return _nodes.Where(n => ids.Contains(n.Id)).All(n => n.IsUp && n.Applied >= commit);
    }

    /// <summary>A membership change proposed at the leader: add a learner, promote one, remove a member, or replace a majority at once.</summary>
    private void ChangeMembership()
    {
        if (Leader() is not { Raft: { } raft } leader) return;
        var conf = raft.Status().ConfState;
        if (conf.VotersOutgoing.Count > 0) return;
        var members = conf.Voters.Concat(conf.Learners).ToHashSet();
        var outsiders = _nodes.Select(n => n.Id).Where(id => !members.Contains(id)).ToList();
        var items = new List<Membership.ConfChangeItem>();
        switch (_random.Next(4))
        {
            case 0 when outsiders.Count > 0:
                items.Add(new(Membership.ConfChangeType.AddLearner, outsiders[_random.Next(outsiders.Count)]));
                break;
            case 1 when conf.Learners.Count > 0:
                items.Add(new(Membership.ConfChangeType.AddVoter, conf.Learners[_random.Next(conf.Learners.Count)]));
                break;
            case 2 when conf.Voters.Count > 3 || conf.Learners.Count > 0:
                var removable = conf.Voters.Count > 3 ? conf.Voters.Concat(conf.Learners).ToList() : conf.Learners.ToList();
                items.Add(new(Membership.ConfChangeType.RemoveNode, removable[_random.Next(removable.Count)]));
                break;
            case 3 when conf.Learners.Count >= 2:
                // Replace as many voters as there are learners to promote (a majority when two of three go), jointly.
                var promote = conf.Learners.Take(2).ToList();
                var demote = conf.Voters.OrderBy(_ => _random.Next(1000)).Take(2).ToList();
                items.AddRange(promote.Select(id => new Membership.ConfChangeItem(Membership.ConfChangeType.AddVoter, id)));
                items.AddRange(demote.Select(id => new Membership.ConfChangeItem(Membership.ConfChangeType.RemoveNode, id)));
                break;
        }
        if (items.Count == 0) return;
        var change = new Membership.ConfChange(items);
        var result = raft.ProposeConfChange(change);
        if (result.IsAccepted) _membershipChanges++;
        Trace($"membership change {change} at leader {leader.Id}: {(result.IsAccepted ? "proposed" : result.Rejection.ToString())}");
        Pump(leader);
    }
}
