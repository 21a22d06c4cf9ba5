namespace Lux.Raft.Simulation.Linearizability;

/// <summary>The key-value semantics for the history of one key: the state is the key's value, null when absent.</summary>
public readonly struct KvModel : IModel<string?, KvInput, KvOutput>
{
    /// <inheritdoc />
    public string? Init() => null;

    /// <inheritdoc />
    public bool Step(string? state, in KvInput input, in KvOutput output, out string? next)
    {
        switch (input.Kind)
        {
            case KvOpKind.Get:
                next = state;
                return Same(state, output.Value);
            case KvOpKind.Put:
                next = input.Value;
                return output.Ok;
            case KvOpKind.Cas:
                if (output.Ok)
                {
                    next = input.Value;
                    return Same(state, input.Expected);
                }

                next = state;
                return !Same(state, input.Expected);
            default:
                next = state;
                return false;
        }
    }

    /// <inheritdoc />
    public bool StepUnknown(string? state, in KvInput input, out string? next)
    {
        switch (input.Kind)
        {
            case KvOpKind.Get:
                next = state;
                return true;
            case KvOpKind.Put:
                next = input.Value;
                return true;
            case KvOpKind.Cas:
                next = Same(state, input.Expected) ? input.Value : state;
                return true;
            default:
                next = state;
                return false;
        }
    }

    /// <inheritdoc />
    public bool IsReadOnly(in KvInput input, in KvOutput output) => input.Kind switch
    {
        KvOpKind.Get => true,
        KvOpKind.Cas => !output.Ok || Same(input.Expected, input.Value),
        _ => false,
    };

    /// <inheritdoc />
    public bool Equals(string? a, string? b) => Same(a, b);

    /// <inheritdoc />
    public int Hash(string? state)
    {
        // FNV-1a rather than string.GetHashCode: the latter is randomized per process, and identical runs should do identical work.
        if (state is null)
        {
            return 0x5bd1e995;
        }

        uint h = 2166136261;
        foreach (var c in state)
        {
            h = (h ^ c) * 16777619;
        }

        return (int)h;
    }

    internal static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.Ordinal);
}
