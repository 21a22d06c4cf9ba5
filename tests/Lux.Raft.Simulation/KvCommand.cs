using System.Text;
using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Simulation;

/// <summary>The key-value commands the simulated clients replicate, and the state machine that applies them.</summary>
internal static class KvCommand
{
    private const char Separator = '\u0001';

    public static byte[] Encode(KvInput input) => Encoding.UTF8.GetBytes(input.Kind switch
    {
        KvOpKind.Put => $"P{Separator}{input.Key}{Separator}{input.Value}",
        KvOpKind.Cas => $"C{Separator}{input.Key}{Separator}{input.Expected}{Separator}{input.Value}",
        _ => throw new ArgumentOutOfRangeException(nameof(input), "only writes are replicated"),
    });

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
}
