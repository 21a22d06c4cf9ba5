namespace Lux.Orleans.Builtins.KeyValue;

/// <summary>A command of the key-value store.</summary>
[GenerateSerializer]
[Alias("Lux.Builtins.KeyValue.Command")]
public abstract record KeyValueCommand
{
    /// <summary>The key the command changes.</summary>
    [Id(0)] public required string Key { get; init; }
}

/// <summary>Sets <see cref="KeyValueCommand.Key"/> to <see cref="Value"/>; the result carries the previous value.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.KeyValue.Put")]
public sealed record KeyValuePut : KeyValueCommand
{
    /// <summary>The new value.</summary>
    [Id(0)] public required string Value { get; init; }
}

/// <summary>Removes <see cref="KeyValueCommand.Key"/>; the result carries the removed value, if any.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.KeyValue.Delete")]
public sealed record KeyValueDelete : KeyValueCommand;

/// <summary>
/// Sets <see cref="KeyValueCommand.Key"/> to <see cref="Value"/> only if its current value is <see cref="Expected"/>
/// (null: the key must be absent); refused otherwise, leaving the state unchanged.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.KeyValue.CompareAndSet")]
public sealed record KeyValueCompareAndSet : KeyValueCommand
{
    /// <summary>The value the key must hold, or null if it must be absent.</summary>
    [Id(0)] public string? Expected { get; init; }

    /// <summary>The new value.</summary>
    [Id(1)] public required string Value { get; init; }
}

/// <summary>Reads one key (<see cref="Key"/> set) or counts the keys (<see cref="Key"/> null).</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.KeyValue.Get")]
public sealed record KeyValueGet
{
    /// <summary>The key to read, or null to count the keys.</summary>
    [Id(0)] public string? Key { get; init; }
}

/// <summary>What a key-value command or read returns.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.KeyValue.Result")]
public sealed record KeyValueResult
{
    /// <summary>
    /// For a read, the key's value; for a put, delete or compare-and-set, the value the key held before; null when absent.
    /// </summary>
    [Id(0)] public string? Value { get; init; }

    /// <summary>The log index of the last write of the key (0 when absent), as of this result.</summary>
    [Id(1)] public ulong Version { get; init; }

    /// <summary>The number of keys in the store, as of this result.</summary>
    [Id(2)] public int Count { get; init; }
}
