namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// The memo of configurations (linearized set, state) already reached: reaching one again means its subtree was searched
/// in vain (it cannot be an ancestor, whose set is smaller), so it is pruned. Comparison is exact, never by hash alone,
/// so the cache cannot turn a linearizable history into a violation. The linearized set is stored compressed: among
/// known outcomes (numbered in call order) it is all ones up to the oldest operation still open and all zeros past the
/// newest one linearized, so only the words between those two are kept; the unknown-outcome part changes rarely, so
/// each distinct one is stored once and shared by the entries that have it.
/// </summary>
internal sealed partial class WglSearch<TModel, TState, TInput, TOutput>
{
    private int[] _buckets = [];
    private ulong[] _entryHash = [];
    private int[] _entryLo = [];
    private int[] _entryHi = [];
    private int[] _entryKnownWords = [];
    private int[] _entryUnknownWords = [];
    private int[] _entryNext = [];
    private TState[] _entryState = [];
    private TState[] _entryContext = [];
    private bool[] _entryHasContext = [];
    private int _entryCount;
    private ulong[] _pool = [];
    private int _poolUsed;

    // Unknown-outcome parts already in the pool, by their Zobrist hash (kept up to date by TryLinearize and Unmark).
    private readonly Dictionary<ulong, int> _unknownParts = [];
    private ulong _unknownPartHash;

    private void InitCache(int capacity)
    {
        var buckets = 16;
        while (buckets < capacity)
        {
            buckets <<= 1;
        }

        _buckets = new int[buckets];
        Array.Fill(_buckets, -1);
        _entryHash = new ulong[capacity];
        _entryLo = new int[capacity];
        _entryHi = new int[capacity];
        _entryKnownWords = new int[capacity];
        _entryUnknownWords = new int[capacity];
        _entryNext = new int[capacity];
        _entryState = new TState[capacity];
        _entryContext = new TState[capacity];
        _entryHasContext = new bool[capacity];
        _pool = new ulong[Math.Max(64, capacity * 2)];
    }

    /// <summary>
    /// Adds the configuration (current bits, <paramref name="state"/>, and the state before the unknown-outcome operation
    /// that led to it when <paramref name="hasContext"/>); false if it was already there.
    /// </summary>
    private bool TryAddToCache(ulong hash, TState state, bool hasContext, TState context)
    {
        var unknownPart = _bits.AsSpan(0, _unknownWords);
        var knownPart = _bits.AsSpan(_unknownWords);
        var lo = knownPart.IndexOfAnyExcept(ulong.MaxValue);
        if (lo < 0)
        {
            lo = knownPart.Length;
        }

        var hi = knownPart.LastIndexOfAnyExcept(0UL) + 1;
        if (hi < lo)
        {
            hi = lo;
        }

        var middle = knownPart[lo..hi];
        var bucket = (int)((hash >> 32) ^ hash) & (_buckets.Length - 1);
        for (var e = _buckets[bucket]; e >= 0; e = _entryNext[e])
        {
            if (_entryHash[e] == hash
                && _entryLo[e] == lo
                && _entryHi[e] == hi
                && _entryHasContext[e] == hasContext
                && _model.Equals(_entryState[e], state)
                && (!hasContext || _model.Equals(_entryContext[e], context))
                && _pool.AsSpan(_entryKnownWords[e], middle.Length).SequenceEqual(middle)
                && _pool.AsSpan(_entryUnknownWords[e], unknownPart.Length).SequenceEqual(unknownPart))
            {
                return false;
            }
        }

        if (_entryCount == _entryHash.Length)
        {
            GrowEntries();
        }

        var id = _entryCount++;
        _entryHash[id] = hash;
        _entryLo[id] = lo;
        _entryHi[id] = hi;
        _entryKnownWords[id] = Store(middle);
        _entryUnknownWords[id] = StoreUnknownPart(unknownPart);
        _entryState[id] = state;
        _entryHasContext[id] = hasContext;
        _entryContext[id] = hasContext ? context : default!;
        _entryNext[id] = _buckets[bucket];
        _buckets[bucket] = id;

        if (_entryCount > _buckets.Length - (_buckets.Length >> 2))
        {
            Rehash(_buckets.Length * 2);
        }

        return true;
    }

    private int StoreUnknownPart(ReadOnlySpan<ulong> unknownPart)
    {
        if (unknownPart.IsEmpty)
        {
            return 0;
        }

        if (_unknownParts.TryGetValue(_unknownPartHash, out var shared) && _pool.AsSpan(shared, unknownPart.Length).SequenceEqual(unknownPart))
        {
            return shared;
        }

        // A different part with the same hash keeps its own copy; the table only ever saves space, never decides equality.
        var stored = Store(unknownPart);
        _unknownParts.TryAdd(_unknownPartHash, stored);
        return stored;
    }

    private int Store(ReadOnlySpan<ulong> words)
    {
        if (_poolUsed + words.Length > _pool.Length)
        {
            Array.Resize(ref _pool, Math.Max(_pool.Length * 2, _poolUsed + words.Length));
        }

        var at = _poolUsed;
        words.CopyTo(_pool.AsSpan(at));
        _poolUsed += words.Length;
        return at;
    }

    private void GrowEntries()
    {
        var capacity = _entryHash.Length * 2;
        Array.Resize(ref _entryHash, capacity);
        Array.Resize(ref _entryLo, capacity);
        Array.Resize(ref _entryHi, capacity);
        Array.Resize(ref _entryKnownWords, capacity);
        Array.Resize(ref _entryUnknownWords, capacity);
        Array.Resize(ref _entryNext, capacity);
        Array.Resize(ref _entryState, capacity);
        Array.Resize(ref _entryContext, capacity);
        Array.Resize(ref _entryHasContext, capacity);
    }

    private void Rehash(int buckets)
    {
        _buckets = new int[buckets];
        Array.Fill(_buckets, -1);
        for (var e = 0; e < _entryCount; e++)
        {
            var hash = _entryHash[e];
            var bucket = (int)((hash >> 32) ^ hash) & (buckets - 1);
            _entryNext[e] = _buckets[bucket];
            _buckets[bucket] = e;
        }
    }
}
