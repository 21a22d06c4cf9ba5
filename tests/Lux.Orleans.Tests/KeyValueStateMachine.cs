using System.Text.Json;
using Lux.Orleans.StateMachines;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Tests;

[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvCommand")]
public abstract class KvCommand;

/// <summary>Sets a key; returns the previous value.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvPut")]
public sealed class KvPut : KvCommand
{
    [Id(0)] public required string Key { get; init; }
    [Id(1)] public required string Value { get; init; }
}

/// <summary>Sets a key only if it has no value; refused otherwise.</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvInsert")]
public sealed class KvInsert : KvCommand
{
    [Id(0)] public required string Key { get; init; }
    [Id(1)] public required string Value { get; init; }
}

/// <summary>Adds to a counter; returns the new total (a non-idempotent command, to show exactly-once application).</summary>
[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvIncrement")]
public sealed class KvIncrement : KvCommand
{
    [Id(0)] public required string Key { get; init; }
}

[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvQuery")]
public sealed class KvQuery
{
    /// <summary>The key to read, or null for the number of keys.</summary>
    [Id(0)] public string? Key { get; init; }
}

[GenerateSerializer]
[Alias("Lux.Orleans.Tests.KvResult")]
public sealed class KvResult
{
    [Id(0)] public string? Value { get; init; }
    [Id(1)] public int Count { get; init; }
}

/// <summary>A small replicated key-value store for the tests.</summary>
public sealed class KeyValueStateMachine : IRaftStateMachine<KvCommand, KvQuery, KvResult>
{
    private Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public KvResult Apply(ulong index, KvCommand command)
    {
        switch (command)
        {
            case KvPut put:
                _values.TryGetValue(put.Key, out var previous);
                _values[put.Key] = put.Value;
                return new KvResult { Value = previous, Count = _values.Count };
            case KvInsert insert:
                if (_values.ContainsKey(insert.Key)) throw new CommandRejectedException($"key '{insert.Key}' exists");
                _values[insert.Key] = insert.Value;
                return new KvResult { Value = insert.Value, Count = _values.Count };
            case KvIncrement increment:
                _values.TryGetValue(increment.Key, out var text);
                var total = (text is null ? 0 : int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)) + 1;
                _values[increment.Key] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new KvResult { Value = _values[increment.Key], Count = _values.Count };
            default:
                throw new CommandRejectedException($"unknown command {command.GetType().Name}");
        }
    }

    public KvResult Query(KvQuery query) => query.Key is null
        ? new KvResult { Count = _values.Count }
        : new KvResult { Value = _values.GetValueOrDefault(query.Key), Count = _values.Count };

    public async ValueTask WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken) =>
        await JsonSerializer.SerializeAsync(destination, _values, cancellationToken: cancellationToken);

    public async ValueTask ReadSnapshotAsync(Stream source, CancellationToken cancellationToken) =>
        _values = await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(source, cancellationToken: cancellationToken)
            ?? new Dictionary<string, string>(StringComparer.Ordinal);
}
