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

    public KvSearchHints(ReadOnlySpan<ModelOperation<KvInput, KvOutput>> history)
    {
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
            return NeedsWhatNobodyWrites(next);
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
