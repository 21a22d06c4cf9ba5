using System.Text;
using Lux.Raft.Storage;

namespace Lux.Raft.Tests.Core;

/// <summary>
/// A scenario harness in the spirit of etcd's interaction tests: replicas on in-memory storage, a message pool the
/// test delivers explicitly or lets settle, links that can be cut. Every Ready is persisted before its messages
/// enter the pool, so the harness is a correct host.
/// </summary>
internal sealed class Cluster
{
    private readonly Dictionary<ulong, RawNode> _nodes = [];
    private readonly Dictionary<ulong, Func<ulong, RaftOptions>> _factories = [];
    private readonly HashSet<(ulong From, ulong To)> _cut = [];
    private readonly ConfState _bootstrap;

    public Cluster(int size, Func<RaftOptions, RaftOptions>? configure = null, ulong seed = 7)
    {
        var ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        _bootstrap = ConfState.OfVoters(ids);
        foreach (var id in ids)
        {
            var storage = new MemoryStorage(ConfState.OfVoters(ids));
            Storages[id] = storage;
            _factories[id] = applied =>
            {
                var options = new RaftOptions { Id = id, Storage = storage, ElectionTick = 10, HeartbeatTick = 1, Seed = seed, Applied = applied };
                return configure is null ? options : configure(options);
            };
            _nodes[id] = new RawNode(_factories[id](0));
            Applied[id] = [];
        }
    }

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    public Dictionary<ulong, List<ReadState>> Reads { get; } = [];

    /// <summary>The configuration each node applied last.</summary>
    public Dictionary<ulong, ConfState?> Configs { get; } = [];

    /// <summary>
    /// Starts a brand-new replica with an empty log and the cluster's bootstrap configuration, which it updates by
    /// applying the membership changes in the log (or from a snapshot).
    /// </summary>
    public void AddNode(ulong id, ulong seed = 7)
    {
        var storage = new MemoryStorage(_bootstrap);
        Storages[id] = storage;
        _factories[id] = applied => new RaftOptions { Id = id, Storage = storage, ElectionTick = 10, HeartbeatTick = 1, Seed = seed, Applied = applied };
        _nodes[id] = new RawNode(_factories[id](0));
        Applied[id] = [];
    }

    /// <summary>Messages sent and not yet delivered.</summary>
    public List<Message> Pool { get; } = [];

    public RawNode this[ulong id] => _nodes[id];

    public IEnumerable<ulong> Ids => _nodes.Keys;

    public ulong? Leader => _nodes.Values.Where(n => n.SoftState.Role == StateRole.Leader).OrderByDescending(n => n.HardState.Term).Select(n => (ulong?)n.Id).FirstOrDefault();

    public void Cut(ulong a, ulong b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    public void Isolate(ulong id)
    {
        foreach (var other in Ids) if (other != id) Cut(id, other);
    }

    public void Heal() => _cut.Clear();

    public void Reconnect(ulong a, ulong b)
    {
        _cut.Remove((a, b));
        _cut.Remove((b, a));
    }

    /// <summary>Processes every node's Ready: persist, collect messages, apply, advance.</summary>
    public void ProcessReadies()
    {
        foreach (var (id, node) in _nodes)
        {
            while (node.HasReady)
            {
                var rd = node.Ready();
                if (rd.Snapshot is { } snapshot) Storages[id].ApplySnapshot(snapshot);
                Storages[id].Append(rd.Entries);
                if (rd.HardState is { } hs) Storages[id].SetHardState(hs);
                Pool.AddRange(rd.Messages);
                foreach (var e in rd.CommittedEntries)
                {
                    if (e.Type == EntryType.ConfChange) Configs[id] = node.ApplyConfChange(e) ?? Configs.GetValueOrDefault(id);
                    else if (!e.IsNoop) Applied[id].Add(e);
                }
                if (rd.ReadStates.Count > 0)
                {
                    if (!Reads.TryGetValue(id, out var list)) Reads[id] = list = [];
                    list.AddRange(rd.ReadStates);
                }
                node.Advance();
            }
        }
    }

    /// <summary>Delivers every pooled message over uncut links (dropping the rest) and processes the results, until quiet.</summary>
    public void Stabilize(int maxRounds = 1000)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            ProcessReadies();
            if (Pool.Count == 0) return;
            var batch = Pool.ToList();
            Pool.Clear();
            foreach (var m in batch) Deliver(m);
        }
        throw new InvalidOperationException("the cluster did not settle");
    }

    public void Deliver(Message m)
    {
        if (_cut.Contains((m.From, m.To)) || !_nodes.TryGetValue(m.To, out var target)) return;
        target.Step(m);
    }

    /// <summary>Takes the pooled messages of one kind (after processing Readies), leaving the others.</summary>
    public List<Message> Take(MessageType type)
    {
        ProcessReadies();
        var taken = Pool.Where(m => m.Type == type).ToList();
        Pool.RemoveAll(m => m.Type == type);
        return taken;
    }

    public void Tick(ulong id, int times = 1)
    {
        for (var i = 0; i < times; i++) _nodes[id].Tick();
    }

    /// <summary>Ticks everyone, settling after each tick.</summary>
    public void TickAll(int times)
    {
        for (var i = 0; i < times; i++)
        {
            foreach (var node in _nodes.Values) node.Tick();
            Stabilize();
        }
    }

    public ulong Elect(ulong id)
    {
        _nodes[id].Campaign();
        Stabilize();
        Assert.Equal(StateRole.Leader, _nodes[id].SoftState.Role);
        return id;
    }

    public ProposeResult Propose(ulong id, string command) => _nodes[id].Propose(Encoding.UTF8.GetBytes(command));

    /// <summary>Replaces a node by a fresh one over the same storage, as after a crash.</summary>
    public void Restart(ulong id)
    {
        _nodes[id] = new RawNode(_factories[id](0));
        Applied[id].Clear();
        Pool.RemoveAll(m => m.From == id || m.To == id);
    }

    /// <summary>Snapshots <paramref name="id"/> at its applied index with its current membership and compacts its log up to it.</summary>
    public SnapshotMetadata SnapshotAndCompact(ulong id)
    {
        var applied = _nodes[id].Status().Applied;
        var snapshot = Storages[id].CreateSnapshot(applied, Configs.GetValueOrDefault(id) ?? _bootstrap);
        Storages[id].Compact(applied);
        return snapshot;
    }

    public static string Text(Entry e) => Encoding.UTF8.GetString(e.Data.Span);

    public IEnumerable<string> AppliedText(ulong id) => Applied[id].Select(Text);
}
