using Orleans.Placement;

namespace Lux.Orleans.Placement;

/// <summary>
/// Places a grain on the silo its key names: the text after the last '@' of the key, or the whole key when it has none
/// (replica grains are keyed "{partition}@{silo}", node grains "{silo}"). The activation fails when that silo is not an
/// active member; it is never created anywhere else, because the replica's log lives on that silo's disk.
/// </summary>
[Serializable]
[GenerateSerializer]
[Immutable]
[SuppressReferenceTracking]
[Alias("Lux.Orleans.SiloPinnedPlacement")]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    internal static readonly SiloPinnedPlacement Instance = new();

    /// <summary>The silo a grain key names.</summary>
    public static string SiloOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf('@');
        return at < 0 ? key : key[(at + 1)..];
    }

    /// <summary>The partition a replica grain key names (empty for node grains).</summary>
    public static string PartitionOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf('@');
        return at < 0 ? "" : key[..at];
    }
}

/// <summary>Marks a grain class for <see cref="SiloPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public SiloPinnedPlacementAttribute() : base(SiloPinnedPlacement.Instance) { }
}
