using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Lux.Raft.Transport;

/// <summary>Resolves a silo's node id to the endpoint of its peer channel. The Orleans layer supplies one from membership.</summary>
public interface IPeerDirectory
{
    /// <summary>Finds the peer-channel endpoint of <paramref name="nodeId"/>.</summary>
    bool TryResolve(string nodeId, [NotNullWhen(true)] out EndPoint? endPoint);
}

/// <summary>A directory filled by hand: for tests, and for fixed clusters.</summary>
public sealed class StaticPeerDirectory : IPeerDirectory
{
    private readonly ConcurrentDictionary<string, EndPoint> _endPoints = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces the endpoint of <paramref name="nodeId"/>.</summary>
    public StaticPeerDirectory Set(string nodeId, EndPoint endPoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentNullException.ThrowIfNull(endPoint);
        _endPoints[nodeId] = endPoint;
        return this;
    }

    /// <summary>Forgets <paramref name="nodeId"/>.</summary>
    public bool Remove(string nodeId) => _endPoints.TryRemove(nodeId, out _);

    /// <inheritdoc />
    public bool TryResolve(string nodeId, [NotNullWhen(true)] out EndPoint? endPoint) => _endPoints.TryGetValue(nodeId, out endPoint);
}
