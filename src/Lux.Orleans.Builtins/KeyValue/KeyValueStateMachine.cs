using System.Text;
using Lux.Orleans.StateMachines;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Builtins.KeyValue;

/// <summary>
/// A replicated string key-value store: put, delete, compare-and-set, get and count. Every key remembers the log index
/// of its last write (its version). Snapshots are streamed key by key, so a large store is never copied whole in memory.
/// </summary>
public sealed class KeyValueStateMachine : IRaftStateMachine<KeyValueCommand, KeyValueGet, KeyValueResult>
{
    /// <summary>The name the server registers this state machine under.</summary>
    public const string DefaultName = "kv";

    private const int SnapshotFormat = 1;

    private readonly Dictionary<string, (string Value, ulong Version)> _entries = new(StringComparer.Ordinal);

    /// <summary>The number of keys.</summary>
    public int Count => _entries.Count;

    /// <inheritdoc />
    public KeyValueResult Apply(ulong index, KeyValueCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Key is null) throw new CommandRejectedException("the key must not be null");
        var found = _entries.TryGetValue(command.Key, out var previous);
        switch (command)
        {
            case KeyValuePut put:
                _entries[put.Key] = (put.Value ?? throw new CommandRejectedException("the value must not be null"), index);
                break;
            case KeyValueDelete:
                _entries.Remove(command.Key);
                break;
            case KeyValueCompareAndSet cas:
                if (found ? cas.Expected != previous.Value : cas.Expected is not null)
                    throw new CommandRejectedException($"key '{cas.Key}' holds {(found ? $"'{previous.Value}'" : "nothing")}, not {(cas.Expected is null ? "nothing" : $"'{cas.Expected}'")}");
                _entries[cas.Key] = (cas.Value ?? throw new CommandRejectedException("the value must not be null"), index);
                break;
            default:
                throw new CommandRejectedException($"unknown key-value command {command.GetType().Name}");
        }
        return new KeyValueResult { Value = found ? previous.Value : null, Version = found ? previous.Version : 0, Count = _entries.Count };
    }

    /// <inheritdoc />
    public KeyValueResult Query(KeyValueGet query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Key is null) return new KeyValueResult { Count = _entries.Count };
        return _entries.TryGetValue(query.Key, out var entry)
            ? new KeyValueResult { Value = entry.Value, Version = entry.Version, Count = _entries.Count }
            : new KeyValueResult { Count = _entries.Count };
    }

    /// <inheritdoc />
    public async ValueTask WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await using var writer = new BinaryWriter(new BufferedStream(destination), Encoding.UTF8, leaveOpen: true);
        writer.Write(SnapshotFormat);
        writer.Write(_entries.Count);
        foreach (var (key, (value, version)) in _entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            writer.Write(key);
            writer.Write(value);
            writer.Write(version);
        }
        writer.Flush();
    }

    /// <inheritdoc />
    public ValueTask ReadSnapshotAsync(Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new BinaryReader(new BufferedStream(source), Encoding.UTF8, leaveOpen: true);
        var format = reader.ReadInt32();
        if (format != SnapshotFormat) throw new InvalidDataException($"key-value snapshot format {format} is not {SnapshotFormat}");
        var count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException($"key-value snapshot claims {count} keys");
        _entries.Clear();
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = reader.ReadString();
            _entries[key] = (reader.ReadString(), reader.ReadUInt64());
        }
        return ValueTask.CompletedTask;
    }
}
