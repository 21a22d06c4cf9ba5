using System.Text;
using Lux.Raft.Simulation.Linearizability;
using Lux.Raft.StateMachine;

namespace Lux.Raft.Simulation;

/// <summary>The key-value commands the simulated clients replicate, and how their outputs travel as result bytes.</summary>
internal static class KvCommand
{
    private const char Separator = '\u0001';

    public static byte[] Encode(KvInput input) => Encoding.UTF8.GetBytes(input.Kind switch
    {
        KvOpKind.Put => $"P{Separator}{input.Key}{Separator}{input.Value}",
        KvOpKind.Cas => $"C{Separator}{input.Key}{Separator}{input.Expected}{Separator}{input.Value}",
        _ => throw new ArgumentOutOfRangeException(nameof(input), "only writes are replicated"),
    });

    /// <summary>The key a command writes.</summary>
    public static string KeyOf(ReadOnlySpan<byte> command) => Encoding.UTF8.GetString(command).Split(Separator)[1];

    /// <summary>Applies a command to <paramref name="state"/> and returns its output.</summary>
    public static KvOutput Apply(Dictionary<string, string> state, ReadOnlySpan<byte> data)
    {
        var parts = Encoding.UTF8.GetString(data).Split(Separator);
        switch (parts[0])
        {
            case "P":
                state[parts[1]] = parts[2];
                return new KvOutput(null, true);
            case "C":
                var current = state.GetValueOrDefault(parts[1]);
                var expected = parts[2].Length == 0 ? null : parts[2];
                if (current != expected) return new KvOutput(current, false);
                state[parts[1]] = parts[3];
                return new KvOutput(null, true);
            default:
                throw new InvalidDataException("unknown command");
        }
    }

    /// <summary>Output as result bytes: ok flag, presence flag, value.</summary>
    public static byte[] EncodeOutput(KvOutput output)
    {
        var value = output.Value is null ? [] : Encoding.UTF8.GetBytes(output.Value);
        var data = new byte[2 + value.Length];
        data[0] = output.Ok ? (byte)1 : (byte)0;
        data[1] = output.Value is null ? (byte)0 : (byte)1;
        value.CopyTo(data, 2);
        return data;
    }

    public static KvOutput DecodeOutput(ReadOnlySpan<byte> data) =>
        new(data[1] == 0 ? null : Encoding.UTF8.GetString(data[2..]), data[0] == 1);
}

/// <summary>The simulated replicas' user state machine: the key-value map, with snapshots as sorted "key=value" lines.</summary>
internal sealed class KvStateMachine : IStateMachine
{
    public Dictionary<string, string> State { get; } = [];

    public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command) =>
        KvCommand.EncodeOutput(KvCommand.Apply(State, command.Span));

    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) =>
        KvCommand.EncodeOutput(new KvOutput(State.GetValueOrDefault(Encoding.UTF8.GetString(query.Span))));

    public async ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        var text = string.Join('\n', State.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        await destination.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    public async ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(source, Encoding.UTF8, leaveOpen: true);
        var text = await reader.ReadToEndAsync(cancellationToken);
        State.Clear();
        if (text.Length == 0) return;
        foreach (var line in text.Split('\n'))
        {
            var at = line.IndexOf('=', StringComparison.Ordinal);
            State[line[..at]] = line[(at + 1)..];
        }
    }
}
