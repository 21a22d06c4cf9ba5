using Lux.Raft.StateMachine;

namespace Lux.Orleans.StateMachines;

/// <summary>A state machine registered by name: how to make one instance for one replica.</summary>
/// <param name="Name">The name partitions refer to.</param>
/// <param name="Factory">Creates a fresh, empty instance.</param>
public sealed record StateMachineRegistration(string Name, Func<IServiceProvider, IStateMachine> Factory);

/// <summary>The state machines this silo can run, by name.</summary>
internal sealed class StateMachineRegistry
{
    private readonly Dictionary<string, StateMachineRegistration> _byName = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services;

    public StateMachineRegistry(IEnumerable<StateMachineRegistration> registrations, IServiceProvider services)
    {
        _services = services;
        foreach (var registration in registrations)
        {
            if (!_byName.TryAdd(registration.Name, registration))
                throw new InvalidOperationException($"Two state machines are registered as '{registration.Name}'.");
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <exception cref="KeyNotFoundException">No state machine has that name on this silo.</exception>
    public IStateMachine Create(string name) => _byName.TryGetValue(name, out var registration)
        ? registration.Factory(_services)
        : throw new KeyNotFoundException($"No state machine is registered as '{name}' on this silo (registered: {string.Join(", ", _byName.Keys)}).");
}
