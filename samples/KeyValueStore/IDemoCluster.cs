namespace Lux.Samples.KeyValueStore;

/// <summary>The cluster the failover demo runs against: child processes in the sample, an in-process test cluster in the smoke test.</summary>
public interface IDemoCluster
{
    /// <summary>A client connected to the cluster.</summary>
    IClusterClient Client { get; }

    /// <summary>The silo names.</summary>
    IReadOnlyList<string> Silos { get; }

    /// <summary>
    /// The silo holding the membership table (localhost clustering): killing it takes the cluster down, so the demo
    /// never kills it and keeps the partition's leader elsewhere.
    /// </summary>
    string PrimarySilo { get; }

    /// <summary>Kills <paramref name="silo"/> abruptly (SIGKILL for a process) and returns a description of what was killed.</summary>
    Task<string> KillAsync(string silo, CancellationToken cancellationToken);

    /// <summary>Starts a killed silo again with the same name and data, and returns a description of what was started.</summary>
    Task<string> RestartAsync(string silo, CancellationToken cancellationToken);
}
