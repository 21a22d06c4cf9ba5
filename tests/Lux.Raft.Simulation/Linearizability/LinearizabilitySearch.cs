namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// Wing and Gong's linearizability search with Lowe's memoization, as Porcupine does it, generic over the model, plus
/// three reductions that keep it near-linear on busy histories: a read that fits the current state is linearized at
/// once without trying alternatives (<see cref="IModel{TState, TInput, TOutput}.IsReadOnly"/>), an operation of unknown
/// outcome is only linearized just before an operation that needs its effect, and optional
/// <see cref="ISearchHints{TState}"/> cut doomed branches. Real-time order is strict: A precedes B iff
/// A.Return &lt; B.Call, so operations that touch at one instant (A.Return == B.Call) are concurrent.
/// </summary>
public static class LinearizabilitySearch
{
    /// <summary>
    /// Searches for a linearization of <paramref name="history"/> against <paramref name="model"/>. The search stops with
    /// <see cref="CheckOutcome.Unknown"/> after <paramref name="maxSteps"/> steps (one step = one operation tried or one
    /// backtrack), so the same input always gives the same result. With <paramref name="recordLongest"/>, a search that
    /// fails or runs out reports the longest linearizable prefix it found (slower; meant for explaining a failure). Optional
    /// <paramref name="hints"/>, made for this history, let the search abandon hopeless branches early.
    /// </summary>
    public static SearchResult Check<TModel, TState, TInput, TOutput>(
        TModel model,
        ReadOnlySpan<ModelOperation<TInput, TOutput>> history,
        long maxSteps,
        bool recordLongest = false,
        ISearchHints<TState>? hints = null)
        where TModel : IModel<TState, TInput, TOutput>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        return new WglSearch<TModel, TState, TInput, TOutput>(model, history, recordLongest, hints).Run(maxSteps);
    }
}
