namespace Lux.Raft.Quorum;

/// <summary>A set of voters deciding by simple majority (Raft §5.2, §5.3).</summary>
public sealed class MajorityConfig
{
    private readonly ulong[] _ids;

    /// <summary>Creates a configuration over the given voters (duplicates removed).</summary>
    public MajorityConfig(IEnumerable<ulong> ids) => _ids = ids.Distinct().Order().ToArray();

    /// <summary>The empty configuration; it agrees to everything, so a joint config with an empty half behaves as the other half.</summary>
    public static MajorityConfig Empty { get; } = new([]);

    /// <summary>The voters, in ascending order.</summary>
    public IReadOnlyList<ulong> Ids => _ids;

    /// <summary>Number of voters.</summary>
    public int Count => _ids.Length;

    /// <summary>Whether <paramref name="id"/> votes here.</summary>
    public bool Contains(ulong id) => Array.BinarySearch(_ids, id) >= 0;

    /// <summary>
    /// The largest index that a majority has acknowledged, given each voter's acknowledged index.
    /// An empty configuration returns <see cref="ulong.MaxValue"/> so that it never holds back a joint decision.
    /// </summary>
    public ulong CommittedIndex<T>(T acked) where T : IAckedIndexer
    {
        var n = _ids.Length;
        if (n == 0) return ulong.MaxValue;
        Span<ulong> matches = n <= 16 ? stackalloc ulong[n] : new ulong[n];
        for (var i = 0; i < n; i++) matches[i] = acked.AckedIndex(_ids[i]);
        matches.Sort();
        // Sorted ascending, the entry at n - (n/2 + 1) is acknowledged by n/2 + 1 voters.
        return matches[n - (n / 2 + 1)];
    }

    /// <summary>Counts votes: <paramref name="vote"/> returns true (yes), false (no) or null (not yet).</summary>
    public VoteResult Vote(Func<ulong, bool?> vote)
    {
        if (_ids.Length == 0) return VoteResult.Won;
        int yes = 0, missing = 0;
        foreach (var id in _ids)
        {
            switch (vote(id))
            {
                case true: yes++; break;
                case null: missing++; break;
            }
        }
        var q = _ids.Length / 2 + 1;
        if (yes >= q) return VoteResult.Won;
        if (yes + missing >= q) return VoteResult.Pending;
        return VoteResult.Lost;
    }

    /// <inheritdoc />
    public override string ToString() => "(" + string.Join(" ", _ids) + ")";
}
