using Orleans.Runtime.Placement;

namespace Lux.Orleans.Placement;

/// <summary>
/// Activates <see cref="SiloPinnedPlacement"/> grains only on the active silo whose name the key carries. Orleans does
/// not check that the silo a director returns is alive, so this one looks it up in the current membership snapshot and
/// throws <see cref="RaftReplicaUnavailableException"/> when it is not there.
/// </summary>
internal sealed class SiloPinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var silo = SiloPinnedPlacement.SiloOf(key);
        var compatible = context.GetCompatibleSilos(target);
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && member.Name == silo && compatible.Contains(member.SiloAddress))
            {
                return Task.FromResult(member.SiloAddress);
            }
        }
        throw new RaftReplicaUnavailableException(SiloPinnedPlacement.PartitionOf(key), silo);
    }
}
