using System.Collections.Concurrent;
using Lux.Orleans.Diagnostics;
using Orleans.Runtime;

namespace Lux.Orleans.Replication;

internal sealed partial class RaftReplicaHost
{
    private readonly ConcurrentDictionary<string, byte> _repairsInFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, int> _leaderlessPasses = new();

    /// <summary>Names of the silos Orleans currently considers active (every silo of the cluster runs Lux).</summary>
    public static IReadOnlyList<string> ActiveSilos(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Silos Orleans declared dead and that have not come back under the same name.</summary>
    public static IReadOnlyList<string> DeadSilos(ClusterMembershipSnapshot snapshot)
    {
        var alive = snapshot.Members.Values.Where(m => m.Status != SiloStatus.Dead).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        return snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && !alive.Contains(m.Name))
            .Select(m => m.Name).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Follows Orleans membership: learns silo names (for replica ids), refreshes peer endpoints of silos that joined or
    /// restarted, and wakes the repair pass when a silo is declared dead.
    /// </summary>
    private async Task WatchMembershipAsync()
    {
        var known = new Dictionary<string, SiloAddress>(StringComparer.Ordinal);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in Membership.MembershipUpdates.WithCancellation(_stopping.Token).ConfigureAwait(false))
                {
                    LearnSilos(snapshot.Members.Values.Select(m => m.Name));
                    foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active && m.Name != LocalSilo))
                    {
                        if (known.TryGetValue(member.Name, out var address) && address.Equals(member.SiloAddress)) continue;
                        known[member.Name] = member.SiloAddress;
                        Directory.Refresh(member.Name, force: true);
                    }
                    if (Options.EnableRepair && DeadSilos(snapshot).Count > 0) StartRepairs(snapshot);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                RaftHostLog.MembershipWatchFailed(Logger, e.Message);
            }
        }
    }

    /// <summary>
    /// Repair is also a periodic pass, not only a reaction to membership events: a leader elected after the event, or a
    /// repair that failed (no spare silo yet), is picked up on the next pass.
    /// </summary>
    private async Task RepairLoopAsync()
    {
        if (!Options.EnableRepair) return;
        using var timer = new PeriodicTimer(Options.RepairInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                StartRepairs(Membership.CurrentSnapshot);
                await RetireRemovedReplicasAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void StartRepairs(ClusterMembershipSnapshot snapshot)
    {
        var dead = DeadSilos(snapshot);
        if (dead.Count == 0) return;
        var active = ActiveSilos(snapshot);
        foreach (var replica in _replicas.Values)
        {
            if (!replica.IsLeader) continue;
            var conf = replica.Configuration;
            var memberNames = new[] { conf.Voters, conf.Learners, conf.VotersOutgoing }.SelectMany(ids => ids).Select(NameOf).ToHashSet();
            if (!active.Any(silo => !memberNames.Contains(silo))) continue;
            foreach (var silo in dead)
            {
                if (!ReplicaRunner.IsMember(conf, RaftIdentity.ReplicaIdOf(silo))) continue;
                var partition = replica.Descriptor.PartitionId;
                if (!_repairsInFlight.TryAdd(partition, 0)) continue;
                RaftHostLog.RepairStarted(Logger, silo, partition);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await Grains.GetGrain<IRaftPartitionGrain>(partition).ReplaceReplicaAsync(silo, null, _stopping.Token).ConfigureAwait(false);
                        RaftHostLog.RepairDone(Logger, partition, silo, "a live silo");
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        RaftHostLog.RepairFailed(Logger, partition, silo, e.Message);
                    }
                    finally
                    {
                        _repairsInFlight.TryRemove(partition, out _);
                    }
                });
            }
        }
    }

    /// <summary>
    /// A silo that comes back after its replicas were replaced still opens them from its catalog, but they were removed
    /// while it was away: they never hear from a leader again. A replica that believes it is a member yet has known no
    /// leader for two repair passes asks the partition for its status; if a leader answers with a configuration that
    /// does not include this silo, the replica is retired (stopped, its log, snapshots and catalog entry deleted). A
    /// replica still joining is not a member in its own configuration yet, so it is never retired this way.
    /// </summary>
    private async Task RetireRemovedReplicasAsync()
    {
        foreach (var replica in _replicas.Values)
        {
            if (replica.KnowsLeader || !ReplicaRunner.IsMember(replica.Configuration, LocalId))
            {
                _leaderlessPasses.TryRemove(replica.Key, out _);
                continue;
            }
            if (_leaderlessPasses.AddOrUpdate(replica.Key, 1, (_, n) => n + 1) < 2) continue;
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            bounded.CancelAfter(Options.AttemptTimeout * 2);
            try
            {
                var status = await Grains.GetGrain<IRaftPartitionGrain>(replica.Descriptor.PartitionId).GetStatusAsync(bounded.Token).ConfigureAwait(false);
                if (status.Leader is null || status.Leader == LocalSilo || status.Members.Any(m => m.Silo == LocalSilo)) continue;
                if (!_replicas.TryRemove(replica.Key, out _)) continue;
                _leaderlessPasses.TryRemove(replica.Key, out _);
                await replica.StopAsync().ConfigureAwait(false);
                await ForgetAsync(replica).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException && !_stopping.IsCancellationRequested)
            {
                // No leader answered (the partition may have lost its majority): nothing is retired on a guess.
                RaftHostLog.RepairFailed(Logger, replica.Descriptor.PartitionId, LocalSilo, "checking whether this replica is still a member: " + e.Message);
            }
        }
    }

    /// <summary>Creates the partitions named in configuration once enough silos are active (idempotent through the catalog grain).</summary>
    private async Task CreateConfiguredPartitionsAsync()
    {
        var pending = Options.Partitions.ToList();
        while (pending.Count > 0 && !_stopping.IsCancellationRequested)
        {
            foreach (var partition in pending.ToArray())
            {
                if (ActiveSilos(Membership.CurrentSnapshot).Count < partition.ReplicationFactor) continue;
                try
                {
                    await Grains.GetRaftCatalog().CreatePartitionAsync(partition.Id, partition.StateMachine, partition.ReplicationFactor, _stopping.Token)
                        .ConfigureAwait(false);
                    pending.Remove(partition);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    RaftHostLog.ConfiguredPartitionPending(Logger, partition.Id, e.Message);
                }
            }
            if (pending.Count == 0) break;
            try
            {
                await Task.Delay(Options.RepairInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
