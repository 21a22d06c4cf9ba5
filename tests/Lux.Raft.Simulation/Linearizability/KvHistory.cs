namespace Lux.Raft.Simulation.Linearizability;

/// <summary>The kinds of operation the key-value model knows.</summary>
public enum KvOpKind : byte
{
    /// <summary>Read a key; the output's value is what was read (null = key absent).</summary>
    Get,

    /// <summary>Write a value to a key (a null value removes the key).</summary>
    Put,

    /// <summary>Compare-and-swap: replace <see cref="KvInput.Expected"/> by <see cref="KvInput.Value"/> (null = absent).</summary>
    Cas,
}

/// <summary>What a client asked for.</summary>
public readonly record struct KvInput(KvOpKind Kind, string Key, string? Value = null, string? Expected = null);

/// <summary>
/// What a client was told. Get: <see cref="Value"/> is the value read (null = key absent). Put: <see cref="Ok"/> is true.
/// Cas: <see cref="Ok"/> says whether it swapped.
/// </summary>
public readonly record struct KvOutput(string? Value, bool Ok = true);

/// <summary>
/// One client operation as observed from outside, with virtual call and return times (ticks). An operation whose outcome is
/// unknown (the client timed out; its effect may or may not have happened) has <see cref="Output"/> null and
/// <see cref="Return"/> = <see cref="long.MaxValue"/>.
/// </summary>
public sealed record Operation(int ClientId, KvInput Input, KvOutput? Output, long Call, long Return);

/// <summary>The verdict of a check.</summary>
public enum CheckOutcome
{
    /// <summary>A linearization exists.</summary>
    Linearizable,

    /// <summary>No linearization exists.</summary>
    NotLinearizable,

    /// <summary>The search budget ran out before a verdict.</summary>
    Unknown,
}

/// <summary>The verdict for a whole history; <see cref="Key"/> names the partition the verdict comes from, if any.</summary>
public sealed record CheckResult(CheckOutcome Outcome, string? Key, string Explanation);
