using System.Collections.Concurrent;

namespace Lux.Raft.Transport.InMemory;

/// <summary>A process-local "network" that <see cref="InMemoryTransport"/>s join by node id; for tests.</summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<string, InMemoryTransport> _listening = new(StringComparer.Ordinal);

    internal void Listen(InMemoryTransport transport)
    {
        if (!_listening.TryAdd(transport.NodeId, transport)) throw new InvalidOperationException($"node '{transport.NodeId}' is already listening");
    }

    internal void Leave(InMemoryTransport transport) =>
        _listening.TryRemove(new KeyValuePair<string, InMemoryTransport>(transport.NodeId, transport));

    internal InMemoryTransport? Find(string nodeId) => _listening.TryGetValue(nodeId, out var transport) ? transport : null;
}
