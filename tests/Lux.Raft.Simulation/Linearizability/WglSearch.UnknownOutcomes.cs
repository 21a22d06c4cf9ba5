using System.Numerics;

namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// Operations of unknown outcome: which are candidates, and when linearizing one is worth it. Left alone, each would be a
/// choice at every step from its call on, for the rest of the search, which is what makes timeouts expensive to check.
/// </summary>
internal sealed partial class WglSearch<TModel, TState, TInput, TOutput>
{
    /// <summary>
    /// Whether <paramref name="x"/>, about to follow an unknown-outcome operation u that took the state from the previous
    /// frame's state to the current one, makes u matter. If x could go from the state before u and end in the same state,
    /// u can be dropped; if x leaves both states unchanged, u can be moved after x. Either way a linearization without
    /// this step exists, so u is only ever tried just before an operation that needs it, not at every point since its call.
    /// </summary>
    private bool Justifies(in ModelOperation<TInput, TOutput> x, TState next)
    {
        var before = _stackState[_depth - 1];
        if (!x.HasOutput)
        {
            return !_model.StepUnknown(before, x.Input, out var without) || !_model.Equals(without, next);
        }

        if (!_model.Step(before, x.Input, x.Output, out var alternative))
        {
            return true;
        }

        return !_model.Equals(alternative, next) && !(_model.Equals(alternative, before) && _model.Equals(next, _state));
    }

    private int CountUnknownCalledBefore(int rank)
    {
        var at = Array.BinarySearch(_unknownRank, rank);
        return at >= 0 ? at : ~at;
    }

    /// <summary>The first unknown outcome numbered in [from, limit) not linearized yet and, if hinted, worth trying; -1 if none.</summary>
    private int NextUnknownCandidate(int from, int limit)
    {
        if (from >= limit)
        {
            return -1;
        }

        var useful = _hints?.UsefulUnknown(_state);
        var lastWord = (limit - 1) >> 6;
        for (var w = from >> 6; w <= lastWord; w++)
        {
            var word = ~_bits[w];
            if (useful is not null)
            {
                word &= useful[w];
            }

            if (w == from >> 6)
            {
                word &= ulong.MaxValue << (from & 63);
            }

            if (word != 0)
            {
                var u = (w << 6) + BitOperations.TrailingZeroCount(word);
                return u < limit ? u : -1;
            }
        }

        return -1;
    }
}
