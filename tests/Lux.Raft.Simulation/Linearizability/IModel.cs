namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// A sequential specification the linearizability search checks a history against. Models are deterministic: the next
/// state is a function of the state and the input, which is what lets an operation of unknown outcome be tried with
/// <see cref="StepUnknown"/> alone. States are compared by value with <see cref="Equals(TState, TState)"/> and
/// <see cref="Hash"/>; they must be immutable, as the search keeps old states to backtrack to.
/// </summary>
public interface IModel<TState, TInput, TOutput>
{
    /// <summary>The state before any operation.</summary>
    TState Init();

    /// <summary>Applies an operation whose output was observed; false when that output is impossible in <paramref name="state"/>.</summary>
    bool Step(TState state, in TInput input, in TOutput output, out TState next);

    /// <summary>
    /// Applies an operation whose output is unknown, as if it took effect now; false when it cannot take effect in
    /// <paramref name="state"/>. Not taking effect at all needs no model support: the search simply never linearizes it.
    /// </summary>
    bool StepUnknown(TState state, in TInput input, out TState next);

    /// <summary>
    /// Whether the operation, in every state where <see cref="Step"/> accepts it, leaves the state unchanged (a read). The
    /// search linearizes such an operation as soon as it fits, without trying alternatives, so a wrong true here can turn a
    /// linearizable history into a reported violation; false is always safe, only slower.
    /// </summary>
    bool IsReadOnly(in TInput input, in TOutput output);

    /// <summary>Value equality of states.</summary>
    bool Equals(TState a, TState b);

    /// <summary>A hash consistent with <see cref="Equals(TState, TState)"/>.</summary>
    int Hash(TState state);
}

/// <summary>
/// An operation as the generic search sees it. <see cref="HasOutput"/> false marks an unknown outcome: <see cref="Output"/>
/// and <see cref="Return"/> are then ignored, the operation returns at +infinity and need not be linearized at all.
/// </summary>
public readonly record struct ModelOperation<TInput, TOutput>(TInput Input, TOutput Output, bool HasOutput, long Call, long Return);

/// <summary>
/// The result of one search. <see cref="Linearization"/> holds indices into the searched history: the full linearization
/// (unknown-outcome operations that never took effect left out) when linearizable, the longest linearizable prefix found
/// when not and recording was asked for, otherwise empty.
/// </summary>
public sealed record SearchResult(CheckOutcome Outcome, long Steps, IReadOnlyList<int> Linearization);

/// <summary>
/// Optional knowledge of one history under one model that lets the search skip work it would otherwise find useless only
/// later, often after an exponential detour. It follows the search: told of every operation linearized and undone (by
/// index into the history, undone in reverse order). It must be sound: what it rules out must be impossible.
/// </summary>
public interface ISearchHints<in TState>
{
    /// <summary>Called once before the search, with the unknown-outcome operations in the order the search numbers them.</summary>
    void Start(ReadOnlySpan<int> unknownOperations);

    /// <summary>The operation at this index was linearized.</summary>
    void Linearized(int op);

    /// <summary>The operation at this index, the last one linearized, was undone.</summary>
    void Undone(int op);

    /// <summary>
    /// Whether the operations not yet linearized can no longer all find a place, now that the last one took the state
    /// from <paramref name="previous"/> to <paramref name="next"/>; asked once more before the search starts, with both
    /// the initial state, about the history as a whole.
    /// </summary>
    bool IsDeadEnd(TState previous, TState next);

    /// <summary>
    /// The unknown-outcome operations worth trying in <paramref name="state"/>, as a bit mask over the numbering given to
    /// <see cref="Start"/>, or null for all. Worth trying means: some remaining operation could be possible right after
    /// it, and not without it (the search only linearizes an unknown outcome just before an operation that needs it).
    /// The search reads the mask at once; it may change with the next call.
    /// </summary>
    ulong[]? UsefulUnknown(TState state);
}
