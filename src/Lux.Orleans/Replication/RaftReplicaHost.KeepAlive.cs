using System.Collections.Concurrent;
using System.Diagnostics;
using Lux.Raft;

namespace Lux.Orleans.Replication;

/// <summary>
/// Silo-level liveness for quiesced partitions: while partitions are quiet their replicas send nothing, so each host
/// sends a keepalive to every other active silo three times per election timeout (on the reserved partition key 0; the
/// peer channel batches it with any heartbeats), and wakes its quiesced followers whose leader's silo has been silent
/// for an election timeout, or whose connection failed. A woken follower ticks again and, if the leader is really gone,
/// campaigns; if the leader is alive, the campaign's pre-vote wakes it and it resumes heartbeats.
/// </summary>
internal sealed partial class RaftReplicaHost
{
    /// <summary>Partition keys are hashes, never 0; 0 carries silo keepalives.</summary>
    private const ulong KeepAlivePartition = 0;

    private readonly ConcurrentDictionary<string, long> _lastHeard = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Message> _keepAlives = new(StringComparer.Ordinal);

    /// <summary>
    /// Host ticks between keepalives: three per election timeout, so one lost or late keepalive wakes nobody. Every
    /// keepalive wakes a thread on both silos, and on an idle silo those wake-ups are most of what is left to pay.
    /// </summary>
    private int KeepAliveTicks => Math.Max(Options.HeartbeatTicks, Options.ElectionTicks / 3);

    private long _quiescences;
    private long _wakes;

    /// <summary>Counts a replica going quiet or waking (called by the replica's loop).</summary>
    internal void OnQuiescenceChanged(bool quiesced)
    {
        Metrics.Quiesced.Add(quiesced ? 1 : -1);
        Interlocked.Increment(ref quiesced ? ref _quiescences : ref _wakes);
    }

    /// <summary>The silo's replica counts, from the state each replica publishes (no replica is asked).</summary>
    public SiloReplicaCounts CountReplicas()
    {
        int replicas = 0, leaders = 0, quiesced = 0, quiescedLeaders = 0;
        foreach (var (_, replica) in _replicas)
        {
            replicas++;
            var leads = replica.IsLeader;
            var quiet = replica.IsQuiesced;
            if (leads) leaders++;
            if (quiet) quiesced++;
            if (leads && quiet) quiescedLeaders++;
        }
        return new SiloReplicaCounts
        {
            Silo = LocalSilo,
            Replicas = replicas,
            Leaders = leaders,
            Quiesced = quiesced,
            QuiescedLeaders = quiescedLeaders,
            Quiescences = Interlocked.Read(ref _quiescences),
            Wakes = Interlocked.Read(ref _wakes),
        };
    }

    private void OnKeepAlive(string fromPeer) => _lastHeard[fromPeer] = Stopwatch.GetTimestamp();

    private void KeepQuiescedPartitionsHonest()
    {
        var transport = _transport;
        if (transport is null) return;
        foreach (var silo in ActiveSilos(Membership.CurrentSnapshot))
        {
            if (silo == LocalSilo) continue;
            var keepAlive = _keepAlives.GetOrAdd(silo, s => new Message
            {
                Type = MessageType.Heartbeat,
                To = RaftIdentity.ReplicaIdOf(s),
                From = LocalId,
                Term = 1,
            });
            transport.TrySend(silo, KeepAlivePartition, keepAlive);
        }
        var silence = Options.TickInterval * Options.ElectionTicks;
        foreach (var (_, replica) in _replicas)
        {
            if (replica.QuiescedLeader is not { } leader) continue;
            if (!_lastHeard.TryGetValue(leader, out var heard) || Stopwatch.GetElapsedTime(heard) > silence) replica.Wake();
        }
    }

    private void WakeFollowersOf(string silo)
    {
        foreach (var (_, replica) in _replicas)
        {
            if (replica.QuiescedLeader == silo) replica.Wake();
        }
    }
}
