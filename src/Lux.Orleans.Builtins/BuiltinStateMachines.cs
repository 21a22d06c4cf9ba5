using Lux.Orleans.Builtins.KeyValue;
using Lux.Orleans.Builtins.Log;
using Lux.Orleans.Hosting;

namespace Lux.Orleans.Builtins;

/// <summary>Registers the built-in state machines on a silo.</summary>
public static class BuiltinStateMachines
{
    /// <summary>The built-in state machines by name, each with its registration.</summary>
    public static IReadOnlyDictionary<string, Action<ISiloBuilder, string>> All { get; } = new Dictionary<string, Action<ISiloBuilder, string>>(StringComparer.Ordinal)
    {
        [KeyValueStateMachine.DefaultName] = (silo, name) => silo.AddKeyValueStateMachine(name),
        [AppendOnlyLogStateMachine.DefaultName] = (silo, name) => silo.AddAppendOnlyLogStateMachine(name),
    };

    /// <summary>Registers <see cref="KeyValueStateMachine"/> as <paramref name="name"/>.</summary>
    public static ISiloBuilder AddKeyValueStateMachine(this ISiloBuilder builder, string name = KeyValueStateMachine.DefaultName) =>
        builder.AddRaftStateMachine(name, _ => new KeyValueStateMachine());

    /// <summary>Registers <see cref="AppendOnlyLogStateMachine"/> as <paramref name="name"/>.</summary>
    public static ISiloBuilder AddAppendOnlyLogStateMachine(this ISiloBuilder builder, string name = AppendOnlyLogStateMachine.DefaultName) =>
        builder.AddRaftStateMachine(name, _ => new AppendOnlyLogStateMachine());
}
