namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// One run of the search. Operations with a known outcome live in a doubly linked list of call and return events in
/// time order; linearizing one lifts both its events out of the list, backtracking puts them back (dancing links). The
/// candidates at any moment are the calls before the first remaining return. Operations of unknown outcome return at
/// +infinity: they are numbered in call order, kept out of the list, and tried after the known candidates, only if their
/// call precedes that first return. The search succeeds once every known operation is linearized: an unknown outcome may
/// also never have taken effect.
/// </summary>
internal sealed partial class WglSearch<TModel, TState, TInput, TOutput>
    where TModel : IModel<TState, TInput, TOutput>
{
    private const int Head = 0;

    private readonly TModel _model;
    private readonly ModelOperation<TInput, TOutput>[] _ops;
    private readonly bool _recordLongest;
    private readonly ISearchHints<TState>? _hints;

    // Known outcomes: nodes 1..2k are their events in time order, 0 is the head, 2k+1 the tail.
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _nodeOp;
    private readonly int[] _match; // call node -> its return node; -1 on return nodes
    private readonly int[] _rank;  // position of the node's event among all events
    private readonly int _tail;

    // Unknown outcomes, numbered 0..u-1 in call order.
    private readonly int[] _unknownOp;
    private readonly int[] _unknownRank;

    private readonly bool[] _readOnly;
    private readonly int[] _slotOf; // op -> its call node (known outcome) or its number (unknown outcome)
    private readonly int[] _bitOf;
    private readonly ulong[] _zobrist;

    // Linearized set: words [0, _unknownWords) hold unknown outcomes by number, the rest known ones in call order.
    private readonly ulong[] _bits;
    private readonly int _unknownWords;
    private ulong _bitsHash;

    // The path from the initial configuration; a frame holds the state before its operation.
    private readonly int[] _stackOp;
    private readonly TState[] _stackState;
    private readonly Phase[] _stackPhase;
    private readonly int[] _stackUnknownLimit; // unknown-outcome frames: how many unknown outcomes were candidates
    private int _depth;
    private TState _state = default!;
    private int[] _best = [];
    private int _bestDepth;
    private bool _bestDirty;

    public WglSearch(
        TModel model,
        ReadOnlySpan<ModelOperation<TInput, TOutput>> history,
        bool recordLongest,
        ISearchHints<TState>? hints)
    {
        _model = model;
        _ops = history.ToArray();
        _recordLongest = recordLongest;
        _hints = hints;

        var n = _ops.Length;
        var known = 0;
        _readOnly = new bool[n];
        for (var i = 0; i < n; i++)
        {
            ref readonly var op = ref _ops[i];
            if (op.HasOutput)
            {
                _readOnly[i] = model.IsReadOnly(op.Input, op.Output);
                if (op.Return < op.Call)
                {
                    throw new ArgumentException($"An operation returns ({op.Return}) before it is called ({op.Call}).", nameof(history));
                }

                known++;
            }
        }

        var unknown = n - known;
        var events = new (long Time, int Kind, int Op)[(known * 2) + unknown];
        var e = 0;
        for (var i = 0; i < n; i++)
        {
            events[e++] = (_ops[i].Call, 0, i);
            if (_ops[i].HasOutput)
            {
                events[e++] = (_ops[i].Return, 1, i);
            }
        }

        // Calls sort before returns at equal times: that is what makes operations that touch concurrent.
        Array.Sort(events);

        _tail = (known * 2) + 1;
        _next = new int[_tail + 1];
        _prev = new int[_tail + 1];
        _nodeOp = new int[_tail + 1];
        _match = new int[_tail + 1];
        _rank = new int[_tail + 1];
        _unknownOp = new int[unknown];
        _unknownRank = new int[unknown];
        _slotOf = new int[n];
        _bitOf = new int[n];
        _unknownWords = (unknown + 63) >> 6;
        _bits = new ulong[_unknownWords + ((known + 63) >> 6)];

        int node = 0, u = 0, knownCalls = 0;
        for (var r = 0; r < events.Length; r++)
        {
            var (_, kind, op) = events[r];
            if (!_ops[op].HasOutput)
            {
                _unknownOp[u] = op;
                _unknownRank[u] = r;
                _slotOf[op] = u;
                _bitOf[op] = u++;
                continue;
            }

            node++;
            _nodeOp[node] = op;
            _rank[node] = r;
            _match[node] = -1;
            if (kind == 0)
            {
                _slotOf[op] = node;
                _bitOf[op] = (_unknownWords << 6) + knownCalls++;
            }
            else
            {
                _match[_slotOf[op]] = node;
            }
        }

        for (var i = 0; i < _tail; i++)
        {
            _next[i] = i + 1;
            _prev[i + 1] = i;
        }

        // Zobrist keys from a fixed seed: the hash only steers the cache's buckets, never a verdict, but a fixed seed keeps
        // the work done identical from run to run.
        _zobrist = new ulong[n];
        var seed = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < n; i++)
        {
            _zobrist[i] = SplitMix64(ref seed);
        }

        _stackOp = new int[n];
        _stackState = new TState[n];
        _stackPhase = new Phase[n];
        _stackUnknownLimit = new int[n];
        InitCache(Math.Max(16, n * 2));
        _hints?.Start(_unknownOp);
    }

    /// <summary>What the search is doing in the current configuration, in the order it does it.</summary>
    private enum Phase : byte
    {
        /// <summary>Looking for a candidate that leaves the state unchanged: if there is one, it is the only choice.</summary>
        Fresh,

        /// <summary>Trying the candidates of known outcome, in call order.</summary>
        Known,

        /// <summary>Trying the candidates of unknown outcome, in call order.</summary>
        Unknown,

        /// <summary>Undoing the last frame: the configuration it led to had no way forward.</summary>
        Backtrack,
    }

    public SearchResult Run(long maxSteps)
    {
        long steps = 0;
        var phase = Phase.Fresh;
        var node = _next[Head];
        var unknownNext = 0;  // the next unknown outcome to consider
        var unknownLimit = 0; // unknown outcomes numbered below this were called before the first remaining return
        _state = _model.Init();
        if (_hints?.IsDeadEnd(_state, _state) == true)
        {
            return new SearchResult(CheckOutcome.NotLinearizable, steps, []);
        }

        while (true)
        {
            if (_next[Head] == _tail)
            {
                return new SearchResult(CheckOutcome.Linearizable, steps, _stackOp.AsSpan(0, _depth).ToArray());
            }

            if (steps >= maxSteps)
            {
                return new SearchResult(CheckOutcome.Unknown, steps, _bestDirty ? _stackOp.AsSpan(0, _depth).ToArray() : _best);
            }

            steps++;
            var owed = _depth > 0 && _stackPhase[_depth - 1] == Phase.Unknown;
            switch (phase)
            {
                case Phase.Fresh:
                {
                    var ret = _match[node];
                    if (ret < 0)
                    {
                        phase = Phase.Known;
                        node = _next[Head];
                        continue;
                    }

                    var op = _nodeOp[node];
                    ref readonly var o = ref _ops[op];
                    if (!_readOnly[op]
                        || !_model.Step(_state, o.Input, o.Output, out var next)
                        || (owed && !Justifies(o, next)))
                    {
                        node = _next[node];
                        continue;
                    }

                    // A read that may go now and fits the current state can be moved to the front of any linearization
                    // of the rest (wherever it was, it saw this state and changed nothing): it is the only choice to try
                    // here, and if the configuration it leads to was already seen, this one fails as well.
                    if (TryLinearize(op, next, unknown: false))
                    {
                        Push(op, next, Phase.Fresh, 0);
                        Lift(node, ret);
                        node = _next[Head];
                    }
                    else
                    {
                        phase = Phase.Backtrack;
                    }

                    continue;
                }

                case Phase.Known:
                {
                    var ret = _match[node];
                    if (ret < 0)
                    {
                        // The first remaining return: nothing called after it may go before it.
                        phase = Phase.Unknown;
                        unknownLimit = CountUnknownCalledBefore(_rank[node]);
                        unknownNext = 0;
                        continue;
                    }

                    var op = _nodeOp[node];
                    ref readonly var o = ref _ops[op];
                    if (_model.Step(_state, o.Input, o.Output, out var next)
                        && (!owed || Justifies(o, next))
                        && TryLinearize(op, next, unknown: false))
                    {
                        Push(op, next, Phase.Known, 0);
                        Lift(node, ret);
                        phase = Phase.Fresh;
                        node = _next[Head];
                        continue;
                    }

                    node = _next[node];
                    continue;
                }

                case Phase.Unknown:
                {
                    var u = NextUnknownCandidate(unknownNext, unknownLimit);
                    if (u < 0)
                    {
                        phase = Phase.Backtrack;
                        continue;
                    }

                    var op = _unknownOp[u];
                    ref readonly var o = ref _ops[op];

                    // An effect that leaves the state as it was is never tried: not taking effect (yet) does the same.
                    if (_model.StepUnknown(_state, o.Input, out var next)
                        && !_model.Equals(next, _state)
                        && (!owed || Justifies(o, next))
                        && TryLinearize(op, next, unknown: true))
                    {
                        Push(op, next, Phase.Unknown, unknownLimit);
                        phase = Phase.Fresh;
                        node = _next[Head];
                        continue;
                    }

                    unknownNext = u + 1;
                    continue;
                }

                default:
                {
                    if (_depth == 0)
                    {
                        return new SearchResult(CheckOutcome.NotLinearizable, steps, _best);
                    }

                    if (_bestDirty)
                    {
                        _best = _stackOp.AsSpan(0, _depth).ToArray();
                        _bestDirty = false;
                    }

                    // A frame taken in the Fresh phase was the only choice of its configuration: keep undoing.
                    _depth--;
                    var undone = _stackOp[_depth];
                    var taken = _stackPhase[_depth];
                    _state = _stackState[_depth];
                    _stackState[_depth] = default!;
                    Unmark(undone);
                    _hints?.Undone(undone);
                    var slot = _slotOf[undone];
                    if (taken == Phase.Unknown)
                    {
                        phase = Phase.Unknown;
                        unknownNext = slot + 1;
                        unknownLimit = _stackUnknownLimit[_depth];
                    }
                    else
                    {
                        Unlift(slot, _match[slot]);
                        if (taken == Phase.Known)
                        {
                            phase = Phase.Known;
                            node = _next[slot];
                        }
                    }

                    continue;
                }
            }
        }
    }

    private void Push(int op, TState next, Phase phase, int unknownLimit)
    {
        _stackOp[_depth] = op;
        _stackState[_depth] = _state;
        _stackPhase[_depth] = phase;
        _stackUnknownLimit[_depth] = unknownLimit;
        _depth++;
        _state = next;
        if (_depth > _bestDepth)
        {
            _bestDepth = _depth;
            _bestDirty = _recordLongest;
        }
    }

    private void Lift(int call, int ret)
    {
        _next[_prev[call]] = _next[call];
        _prev[_next[call]] = _prev[call];
        _next[_prev[ret]] = _next[ret];
        _prev[_next[ret]] = _prev[ret];
    }

    private void Unlift(int call, int ret)
    {
        _next[_prev[ret]] = ret;
        _prev[_next[ret]] = ret;
        _next[_prev[call]] = call;
        _prev[_next[call]] = call;
    }

    private bool TryLinearize(int op, TState next, bool unknown)
    {
        if (_hints is { } hints)
        {
            hints.Linearized(op);
            if (!_model.Equals(next, _state) && hints.IsDeadEnd(_state, next))
            {
                hints.Undone(op);
                return false;
            }
        }

        var bit = _bitOf[op];
        _bits[bit >> 6] |= 1UL << bit;
        var bitsHash = _bitsHash ^ _zobrist[op];
        if (unknown)
        {
            _unknownPartHash ^= _zobrist[op];
        }

        // A configuration entered through an unknown outcome still owes it a justification (see Justifies), which depends
        // on the state before it: it is a different configuration from the same set and state reached otherwise.
        var hash = bitsHash ^ ((ulong)(uint)_model.Hash(next) * 0x9E3779B97F4A7C15UL);
        if (unknown)
        {
            hash ^= ((ulong)(uint)_model.Hash(_state) * 0xC2B2AE3D27D4EB4FUL) + 1;
        }

        if (TryAddToCache(hash, next, unknown, _state))
        {
            _bitsHash = bitsHash;
            return true;
        }

        _bits[bit >> 6] &= ~(1UL << bit);
        if (unknown)
        {
            _unknownPartHash ^= _zobrist[op];
        }

        _hints?.Undone(op);
        return false;
    }

    private void Unmark(int op)
    {
        var bit = _bitOf[op];
        _bits[bit >> 6] &= ~(1UL << bit);
        _bitsHash ^= _zobrist[op];
        if (!_ops[op].HasOutput)
        {
            _unknownPartHash ^= _zobrist[op];
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
