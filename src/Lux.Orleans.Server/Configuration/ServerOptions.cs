namespace Lux.Orleans.Server.Configuration;

/// <summary>The silo's identity and its Orleans settings (section <c>Server</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Server";

    /// <summary>
    /// The silo name: unique in the cluster and stable across restarts, because the replica ids of the partitions this
    /// silo hosts derive from it.
    /// </summary>
    public string Name { get; set; } = "";

    /// <summary>The Orleans cluster id: silos and clients of one cluster share it.</summary>
    public string ClusterId { get; set; } = "lux";

    /// <summary>The Orleans service id: stays the same across deployments of the same service.</summary>
    public string ServiceId { get; set; } = "lux";

    /// <summary>The port silos talk to each other on (Orleans' silo-to-silo messaging).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How silos find each other.</summary>
    public MembershipOptions Membership { get; set; } = new();

    /// <summary>
    /// The state machines this silo runs, by name (built-in: <c>kv</c>, <c>log</c>). Every silo of a cluster must list
    /// the same names. From the command line or an environment variable, a comma-separated list.
    /// </summary>
    public List<string> StateMachines { get; set; } = [];
}

/// <summary>How the silo finds the rest of the cluster (section <c>Server:Membership</c>).</summary>
public sealed class MembershipOptions
{
    /// <summary>
    /// The membership provider. <c>Localhost</c> (default): every silo on this machine, the primary silo holding the
    /// membership table in memory, so the cluster lives only as long as the primary does.
    /// </summary>
    public string Provider { get; set; } = MembershipProviders.Localhost;

    /// <summary>
    /// For <c>Localhost</c>: the silo endpoint (<c>127.0.0.1:port</c>) of the primary silo. Unset, or equal to this
    /// silo's own endpoint, makes this silo the primary.
    /// </summary>
    public string? PrimarySiloEndpoint { get; set; }
}

/// <summary>The membership providers this server supports.</summary>
public static class MembershipProviders
{
    /// <summary>Orleans' development clustering on 127.0.0.1 with the primary silo holding the membership table.</summary>
    public const string Localhost = "Localhost";

    /// <summary>Every supported provider.</summary>
    public static IReadOnlyList<string> All { get; } = [Localhost];
}
