using System.Collections.Concurrent;

namespace Lux.Orleans.Replication;

/// <summary>
/// What the peer channel says about other silos, for the routers on this silo. Orleans takes seconds to tens of
/// seconds to give up on a silo that died, and calls already sent to it wait that long; the peer channel notices a
/// lost connection at once. A silo whose connection failed is <em>suspected</em> until anything arrives from it again:
/// routers drop attempts in flight at it and leave it out of leader searches. A suspicion only ever makes a router
/// retry or look elsewhere sooner; it never decides anything for Raft, and a retried proposal keeps its session
/// sequence number, so it is applied once.
/// </summary>
internal sealed partial class RaftReplicaHost
{
    private static readonly Task Never = new TaskCompletionSource().Task;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _peerLost = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _suspects = new(StringComparer.Ordinal);

    /// <summary>How many silos are suspected: lets the message path skip the lookup while none is (the usual case).</summary>
    private int _suspectCount;

    /// <summary>Whether the peer channel lost its connection to <paramref name="silo"/> and nothing came from it since.</summary>
    public bool IsSuspected(string silo) => Volatile.Read(ref _suspectCount) > 0 && _suspects.ContainsKey(silo);

    /// <summary>
    /// Completes the next time the peer channel reports <paramref name="silo"/> unreachable (a connection to it failed
    /// or could not be made). Never completes for this silo itself.
    /// </summary>
    public Task PeerLost(string silo) =>
        silo == LocalSilo ? Never : _peerLost.GetOrAdd(silo, static _ => NewSignal()).Task;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The peer channel's connection to <paramref name="silo"/> failed.</summary>
    private void OnPeerLost(string silo)
    {
        if (_suspects.TryAdd(silo, 0)) Interlocked.Increment(ref _suspectCount);
        if (_peerLost.TryRemove(silo, out var signal)) signal.TrySetResult();
    }

    /// <summary>Something arrived from <paramref name="silo"/>: it is alive (called for every message, so cheap while no silo is suspected).</summary>
    private void OnPeerHeard(string silo)
    {
        if (Volatile.Read(ref _suspectCount) > 0 && _suspects.TryRemove(silo, out _)) Interlocked.Decrement(ref _suspectCount);
    }
}
