namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// What the key-value semantics tell the search about one key's history, by counting, for each value, the remaining
/// operations that need it as the state (Gets that read it, successful Cas that expected it) and that may write it.
/// <para>
/// Dead ends: once the value moves away from v and no remaining operation may write v again, a remaining operation
/// needing v is hopeless, and so are the remaining unknown-outcome Cas that expected v, which may leave further values
/// unwritable. With distinct written values (the usual test workload) this catches a write placed too early the moment
/// it is placed, not when the read it starved finally returns.
/// </para>
/// <para>
/// Before the search, a read that no write can serve makes the whole history hopeless at once: each write of the value
/// it needs was either called after the read returned or is surely overwritten before the read was called (a known
/// write of another value ran entirely in between). Stale reads are the commonest violation, and proving one by search
/// means exhausting every ordering of everything before it.
/// </para>
/// <para>
/// Useful unknown outcomes: one that writes v is only worth trying just before an operation that needs v (a Get of v, a
/// Cas expecting v, including unknown ones), or before a failed Cas expecting the current value; the others would
/// otherwise be tried at every step of the search from their call on.
/// </para>
/// </summary>
internal sealed class KvSearchHints : ISearchHints<string?>
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly int[] _needs;       // op -> value id it needs as the state, or -1
    private readonly int[] _writes;      // op -> value id it may write, or -1
    private readonly int[] _failedCasOn; // op -> expected value id of a known failed Cas, or -1
    private readonly int[] _casExpects;  // op -> expected value id of an unknown-outcome Cas, or -1
    private readonly int[] _needers;     // value id -> remaining operations that need it
    private readonly int[] _writers;     // value id -> remaining operations that may write it
    private readonly int[] _failedCas;   // value id -> remaining known failed Cas that expected it
    private readonly int[] _unknownCas;  // value id -> remaining unknown-outcome Cas that expect it
    private readonly List<int>?[] _unknownCasExpecting; // value id -> unknown-outcome Cas (ops) expecting it
    private readonly List<int>?[] _unknownWritersOf;    // value id -> unknown-outcome ops writing it
    private readonly bool[] _done;
    private int[] _numberOf = [];        // op -> the search's number for an unknown outcome, or -1
    private ulong[] _useful = [];

    // Scratch space for IsDeadEnd, reset by bumping the generation instead of clearing.
    private readonly Stack<int> _gone = new();
    private readonly int[] _goneMark;
    private readonly int[] _strandedWriters;
    private readonly int[] _strandedMark;
    private int _generation;

    /// <summary>The index of an operation whose need no write can serve (see <see cref="FindStaleRead"/>), or -1.</summary>
    public int StaleRead { get; }

    private readonly bool _checkUpFront;

    /// <param name="history">The history the search runs on.</param>
    /// <param name="checkUpFront">Whether to condemn the history before the search when some read is stale or needs a
    /// value nothing writes; without it, the search still fails, but only after finding out by itself.</param>
    public KvSearchHints(ReadOnlySpan<ModelOperation<KvInput, KvOutput>> history, bool checkUpFront = true)
    {
        _checkUpFront = checkUpFront;
        var n = history.Length;
        _needs = new int[n];
        _writes = new int[n];
        _failedCasOn = new int[n];
        _casExpects = new int[n];
        _done = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var op = history[i];
            _needs[i] = -1;
            _writes[i] = -1;
            _failedCasOn[i] = -1;
            _casExpects[i] = -1;
            switch (op.Input.Kind)
            {
                case KvOpKind.Get when op.HasOutput:
                    _needs[i] = Id(op.Output.Value);
                    break;
                case KvOpKind.Put:
                    _writes[i] = Id(op.Input.Value);
                    break;
                case KvOpKind.Cas when !op.HasOutput:
                    _writes[i] = Id(op.Input.Value);
                    _casExpects[i] = Id(op.Input.Expected);
                    break;
                case KvOpKind.Cas when op.Output.Ok:
                    _writes[i] = Id(op.Input.Value);
                    _needs[i] = Id(op.Input.Expected);
                    break;
                case KvOpKind.Cas:
                    _failedCasOn[i] = Id(op.Input.Expected);
                    break;
            }
        }

        var values = _ids.Count + 1;
        _needers = new int[values];
        _writers = new int[values];
        _failedCas = new int[values];
        _unknownCas = new int[values];
        _unknownCasExpecting = new List<int>?[values];
        _unknownWritersOf = new List<int>?[values];
        _goneMark = new int[values];
        _strandedWriters = new int[values];
        _strandedMark = new int[values];
        for (var i = 0; i < n; i++)
        {
            Count(i, +1);
            if (_casExpects[i] >= 0)
            {
                (_unknownCasExpecting[_casExpects[i]] ??= []).Add(i);
            }

            if (!history[i].HasOutput && _writes[i] >= 0)
            {
                (_unknownWritersOf[_writes[i]] ??= []).Add(i);
            }
        }

        StaleRead = FindStaleRead(history);
    }

    public void Start(ReadOnlySpan<int> unknownOperations)
    {
        _numberOf = new int[_needs.Length];
        Array.Fill(_numberOf, -1);
        _useful = new ulong[(unknownOperations.Length + 63) >> 6];
        for (var u = 0; u < unknownOperations.Length; u++)
        {
            var op = unknownOperations[u];
            _numberOf[op] = u;
            UpdateUseful(op);
        }
    }

    public void Linearized(int op)
    {
        _done[op] = true;
        Count(op, -1);
        UpdateUseful(op);
    }

    public void Undone(int op)
    {
        _done[op] = false;
        Count(op, +1);
        UpdateUseful(op);
    }

    public ulong[]? UsefulUnknown(string? state)
    {
        // Before a known failed Cas that expected the current value, any write may be what it needs.
        var id = state is null ? 0 : _ids.GetValueOrDefault(state, -1);
        return id >= 0 && _failedCas[id] > 0 ? null : _useful;
    }

    public bool IsDeadEnd(string? previous, string? next)
    {
        if (ReferenceEquals(previous, next) || string.Equals(previous, next, StringComparison.Ordinal))
        {
            return _checkUpFront && (StaleRead >= 0 || NeedsWhatNobodyWrites(next));
        }

        var id = previous is null ? 0 : _ids.GetValueOrDefault(previous, -1);
        if (id < 0 || _writers[id] > 0)
        {
            return false;
        }

        if (_needers[id] > 0)
        {
            return true;
        }

        // The value is gone for good. Follow the unknown Cas that can no longer take effect: a value whose remaining
        // writers are all such Cas is gone for good as well, which is a dead end if someone still needs it.
        var current = next is null ? 0 : _ids.GetValueOrDefault(next, -1);
        _generation++;
        _gone.Clear();
        _gone.Push(id);
        _goneMark[id] = _generation;
        while (_gone.TryPop(out var value))
        {
            if (_unknownCasExpecting[value] is not { } stranded)
            {
                continue;
            }

            foreach (var cas in stranded)
            {
                var written = _writes[cas];
                if (_done[cas] || written == current || _goneMark[written] == _generation)
                {
                    continue;
                }

                _strandedWriters[written] = _strandedMark[written] == _generation ? _strandedWriters[written] + 1 : 1;
                _strandedMark[written] = _generation;
                if (_strandedWriters[written] < _writers[written])
                {
                    continue;
                }

                if (_needers[written] > 0)
                {
                    return true;
                }

                _goneMark[written] = _generation;
                _gone.Push(written);
            }
        }

        return false;
    }

    /// <summary>
    /// The first operation needing a value (a Get that read it, a successful Cas that expected it) that cannot be served
    /// by any write of it, or -1; the initial absence counting as a write of null done before everything. A write W serves a need N
    /// only if W is called before N returns and no known write of another value runs entirely after W and before N's call:
    /// in a linearization, the last write before N must write the value N needs, and such a write would come after it.
    /// </summary>
    private int FindStaleRead(ReadOnlySpan<ModelOperation<KvInput, KvOutput>> history)
    {
        // Known writes, which surely take effect, by call time; for each suffix the earliest return, and the earliest
        // return among writes of another value than that one, so "earliest return of a write of a value other than v
        // called after t" is two lookups.
        var definite = new List<(long Call, long Return, int Value)>();
        var writersOf = new List<(long Call, long Return)>?[_needers.Length];
        for (var i = 0; i < history.Length; i++)
        {
            if (_writes[i] < 0)
            {
                continue;
            }

            var ret = history[i].HasOutput ? history[i].Return : long.MaxValue;
            (writersOf[_writes[i]] ??= []).Add((history[i].Call, ret));
            if (history[i].HasOutput)
            {
                definite.Add((history[i].Call, ret, _writes[i]));
            }
        }

        definite.Sort();
        var count = definite.Count;
        var bestReturn = new long[count + 1];
        var bestValue = new int[count + 1];
        var otherReturn = new long[count + 1];
        bestReturn[count] = otherReturn[count] = long.MaxValue;
        bestValue[count] = -1;
        for (var k = count - 1; k >= 0; k--)
        {
            var (_, ret, value) = definite[k];
            (bestReturn[k], bestValue[k], otherReturn[k]) = (bestReturn[k + 1], bestValue[k + 1], otherReturn[k + 1]);
            if (ret < bestReturn[k])
            {
                if (value != bestValue[k])
                {
                    otherReturn[k] = bestReturn[k];
                }

                (bestReturn[k], bestValue[k]) = (ret, value);
            }
            else if (value != bestValue[k] && ret < otherReturn[k])
            {
                otherReturn[k] = ret;
            }
        }

        var calls = definite.Select(d => d.Call).ToArray();
        bool SurelyOverwritten(long writtenBy, int value, long neededFrom)
        {
            if (writtenBy == long.MaxValue)
            {
                return false;
            }

            var at = UpperBound(calls, writtenBy);
            var earliest = bestValue[at] != value ? bestReturn[at] : otherReturn[at];
            return earliest < neededFrom;
        }

        // Per value, its writers by call time with the latest return so far: the best candidate to serve a need is the
        // writer called in time that returns last, as being overwritten surely only gets likelier the earlier a write ends.
        var latestReturn = new long[]?[writersOf.Length];
        var writerCalls = new long[]?[writersOf.Length];
        for (var v = 0; v < writersOf.Length; v++)
        {
            if (writersOf[v] is not { } list)
            {
                continue;
            }

            list.Sort();
            writerCalls[v] = list.Select(w => w.Call).ToArray();
            latestReturn[v] = new long[list.Count];
            var latest = long.MinValue;
            for (var k = 0; k < list.Count; k++)
            {
                latest = Math.Max(latest, list[k].Return);
                latestReturn[v]![k] = latest;
            }
        }

        for (var i = 0; i < history.Length; i++)
        {
            var value = _needs[i];
            if (value < 0)
            {
                continue;
            }

            var need = history[i];
            var servedBy = value == 0 ? long.MinValue : (long?)null;
            if (writerCalls[value] is { } wc)
            {
                var inTime = UpperBound(wc, need.Return);
                if (inTime > 0)
                {
                    servedBy = Math.Max(servedBy ?? long.MinValue, latestReturn[value]![inTime - 1]);
                }
            }

            if (servedBy is not { } by || SurelyOverwritten(by, value, need.Call))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The number of elements of the sorted <paramref name="sorted"/> that are at most <paramref name="value"/>.</summary>
    private static int UpperBound(long[] sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Some value is needed but is neither <paramref name="current"/> nor written by anything remaining.</summary>
    private bool NeedsWhatNobodyWrites(string? current)
    {
        var id = current is null ? 0 : _ids.GetValueOrDefault(current, -1);
        for (var value = 0; value < _needers.Length; value++)
        {
            if (value != id && _needers[value] > 0 && _writers[value] == 0)
            {
                return true;
            }
        }

        return false;
    }

    private bool Wanted(int value) => _needers[value] > 0 || _unknownCas[value] > 0;

    private void Count(int op, int delta)
    {
        if (_needs[op] >= 0)
        {
            ChangeWant(_needs[op], ref _needers[_needs[op]], delta);
        }

        if (_casExpects[op] >= 0)
        {
            ChangeWant(_casExpects[op], ref _unknownCas[_casExpects[op]], delta);
        }

        if (_writes[op] >= 0)
        {
            _writers[_writes[op]] += delta;
        }

        if (_failedCasOn[op] >= 0)
        {
            _failedCas[_failedCasOn[op]] += delta;
        }
    }

    private void ChangeWant(int value, ref int counter, int delta)
    {
        var before = Wanted(value);
        counter += delta;
        if (Wanted(value) != before && _unknownWritersOf[value] is { } writers)
        {
            foreach (var writer in writers)
            {
                UpdateUseful(writer);
            }
        }
    }

    private void UpdateUseful(int op)
    {
        if (op >= _numberOf.Length || _numberOf[op] < 0 || _writes[op] < 0)
        {
            return;
        }

        var u = _numberOf[op];
        if (!_done[op] && Wanted(_writes[op]))
        {
            _useful[u >> 6] |= 1UL << u;
        }
        else
        {
            _useful[u >> 6] &= ~(1UL << u);
        }
    }

    private int Id(string? value)
    {
        if (value is null)
        {
            return 0;
        }

        if (!_ids.TryGetValue(value, out var id))
        {
            id = _ids.Count + 1;
            _ids.Add(value, id);
        }

        return id;
    }
}
