using Orleans.GrainDirectory;

namespace Lux.Orleans.Placement;

/// <summary>
/// The grain directory of Lux's silo-pinned grains (replica and node grains). Where such a grain lives follows from its
/// key alone, so no silo has to be asked: a lookup answers with the active silo the key names (or nothing when that
/// silo is not active, and placement then refuses the call). Orleans' default directory would ask the silo that owns
/// the grain's slot of its distributed hash table, and while a dead silo owns that slot (until membership declares it
/// dead, seconds to tens of seconds) every first call to the grain from a silo that has not cached its address fails;
/// after a leader's silo dies that is exactly the call that reaches the new leader. A silo hosts at most one activation
/// of a grain, and placement puts these grains on the named silo only, so accepting every registration keeps them
/// single-activation.
/// </summary>
internal sealed class SiloPinnedGrainDirectory(IClusterMembershipService membership) : IGrainDirectory
{
    /// <summary>The name the directory is registered under (see <see cref="GrainDirectoryAttribute"/>).</summary>
    public const string Name = "lux-silo-pinned";

    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task<GrainAddress?> Lookup(GrainId grainId)
    {
        var silo = SiloPinnedPlacement.SiloOf(grainId.Key.ToString()!);
        var snapshot = membership.CurrentSnapshot;
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && member.Name == silo)
            {
                return Task.FromResult<GrainAddress?>(new GrainAddress { GrainId = grainId, SiloAddress = member.SiloAddress, MembershipVersion = snapshot.Version });
            }
        }
        return Task.FromResult<GrainAddress?>(null);
    }

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
