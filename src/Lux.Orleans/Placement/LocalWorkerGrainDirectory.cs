using Orleans.GrainDirectory;

namespace Lux.Orleans.Placement;

/// <summary>
/// The grain directory of the partition router, a stateless worker: its activations are local to each caller's silo
/// and never registered, so there is nothing to look up. Orleans' default directory would still ask the silo that owns
/// the router's slot of its distributed hash table before placing it locally; while that silo is dead and not yet
/// declared so, a client that fails over to another gateway could not reach any router.
/// </summary>
internal sealed class LocalWorkerGrainDirectory : IGrainDirectory
{
    /// <summary>The name the directory is registered under (see <see cref="GrainDirectoryAttribute"/>).</summary>
    public const string Name = "lux-local-worker";

    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task<GrainAddress?> Lookup(GrainId grainId) => Task.FromResult<GrainAddress?>(null);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
