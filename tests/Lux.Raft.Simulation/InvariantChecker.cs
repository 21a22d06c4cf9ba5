using Lux.Raft.Storage;

namespace Lux.Raft.Simulation;

/// <summary>
/// Checks the Raft safety properties (Raft Figure 3) incrementally, as events happen, so that every step is checked
/// without rescanning the logs: election safety, log matching, leader completeness, state-machine safety, and that
/// no committed entry is ever lost (it is durable on a quorum when first applied, and never truncated afterwards).
/// </summary>
internal sealed class InvariantChecker
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly Dictionary<(ulong Index, ulong Term), (int Hash, ulong PrevTerm)> _entries = [];
    private readonly Dictionary<ulong, (ulong Term, int Hash)> _applied = [];
    private ulong _maxApplied;

    public List<string> Violations { get; } = [];

    public int LeadersElected => _leaderOfTerm.Count;

    public ulong MaxApplied => _maxApplied;

    private void Violation(long time, string text)
    {
        if (Violations.Count < 20) Violations.Add($"t={time}: {text}");
    }

    private static int Hash(Entry e)
    {
        var h = new HashCode();
        h.Add(e.Type);
        h.AddBytes(e.Data.Span);
        return h.ToHashCode();
    }

    /// <summary>Election safety: at most one leader per term (Raft §5.2).</summary>
    public void OnLeader(long time, SimNode node, Raft raft)
    {
        if (_leaderOfTerm.TryGetValue(raft.Term, out var other) && other != node.Id)
        {
            Violation(time, $"election safety: {node.Id} and {other} both lead term {raft.Term}");
            return;
        }
        if (!_leaderOfTerm.TryAdd(raft.Term, node.Id)) return;

        // Leader completeness (Raft §5.4): a new leader holds every entry committed so far.
        if (raft.Log.LastIndex < _maxApplied)
        {
            Violation(time, $"leader completeness: leader {node.Id} of term {raft.Term} ends at {raft.Log.LastIndex}, committed {_maxApplied}");
            return;
        }
        foreach (var (index, (term, _)) in _applied)
        {
            if (raft.Log.TermOrZero(index) != term && index >= raft.Log.FirstIndex)
            {
                Violation(time, $"leader completeness: leader {node.Id} of term {raft.Term} lacks committed entry {index}/{term}");
                return;
            }
        }
    }

    /// <summary>
    /// Before a write reaches a node's disk: log matching (the same index and term always mean the same entry with the
    /// same predecessor) and no committed entry is truncated.
    /// </summary>
    public void OnPersist(long time, SimNode node, ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty) return;
        var disk = node.Disk;
        var first = entries[0].Index;
        for (var i = first; i <= disk.LastIndex && i < first + (ulong)entries.Length; i++)
        {
            disk.TryGetTerm(i, out var oldTerm);
            var replacement = entries[(int)(i - first)];
            if (oldTerm != replacement.Term && _applied.TryGetValue(i, out var committed) && committed.Term == oldTerm)
            {
                Violation(time, $"lost commit: node {node.Id} overwrites committed entry {i}/{oldTerm} with term {replacement.Term}");
            }
        }
        ulong prevTerm = 0;
        if (first > 0 && disk.TryGetTerm(first - 1, out var t) == StorageStatus.Ok) prevTerm = t;
        foreach (var e in entries)
        {
            var fact = (Hash(e), prevTerm);
            if (_entries.TryGetValue((e.Index, e.Term), out var known))
            {
                if (known != fact)
                {
                    Violation(time, $"log matching: node {node.Id} stores a different entry or predecessor at {e.Index}/{e.Term}");
                }
            }
            else
            {
                _entries[(e.Index, e.Term)] = fact;
            }
            prevTerm = e.Term;
        }
    }

    /// <summary>
    /// State-machine safety: no two nodes apply different entries at one index. The first time an index is applied
    /// anywhere it must be durable on a quorum, or a crash could lose it.
    /// </summary>
    public void OnApply(long time, SimNode node, Entry entry, IReadOnlyList<SimNode> all)
    {
        var fact = (entry.Term, Hash(entry));
        if (_applied.TryGetValue(entry.Index, out var known))
        {
            if (known != fact)
            {
                Violation(time, $"state-machine safety: node {node.Id} applies {entry.Index}/{entry.Term}, others applied term {known.Term}");
            }
            return;
        }
        _applied[entry.Index] = fact;
        _maxApplied = Math.Max(_maxApplied, entry.Index);
        // A disk holds the entry, or a snapshot that covers it (snapshots only cover committed entries).
        var holders = all.Where(n => (n.Disk.TryGetTerm(entry.Index, out var term) == StorageStatus.Ok && term == entry.Term)
            || n.Disk.Snapshot.Index >= entry.Index).Select(n => n.Id).ToHashSet();
        // Membership takes effect when applied, one change at a time: the entry committed under the configuration the
        // applying node holds now or the one before it.
        if (!DurableOnQuorum(node.Config, holders) && !DurableOnQuorum(node.PreviousConfig, holders))
        {
            Violation(time, $"lost commit: entry {entry.Index}/{entry.Term} applied by {node.Id} is durable only on [{string.Join(",", holders)}], config {node.Config}");
        }
    }

    private static bool DurableOnQuorum(ConfState config, HashSet<ulong> holders)
    {
        static bool Majority(IReadOnlyList<ulong> voters, HashSet<ulong> holders) =>
            voters.Count == 0 || voters.Count(holders.Contains) >= voters.Count / 2 + 1;
        return Majority(config.Voters, holders) && Majority(config.VotersOutgoing, holders);
    }

    /// <summary>A node's commit index never passes its log and never goes back within one life.</summary>
    public void OnCommit(long time, SimNode node, ulong previous, Raft raft)
    {
        if (raft.Log.Committed < previous) Violation(time, $"commit index of {node.Id} went back from {previous} to {raft.Log.Committed}");
        if (raft.Log.Committed > raft.Log.LastIndex) Violation(time, $"commit index of {node.Id} passes its last index");
    }
}
