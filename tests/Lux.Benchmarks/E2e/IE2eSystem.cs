namespace Lux.Benchmarks.E2e;

/// <summary>
/// A replicated key/value system the <c>e2e</c> scenario drives: it starts a cluster on 127.0.0.1, hands out a client,
/// and stops. The scenario starts a fresh cluster for every measurement, so <see cref="StartAsync"/> and
/// <see cref="StopAsync"/> may alternate many times on one instance.
/// </summary>
public interface IE2eSystem : IAsyncDisposable
{
    /// <summary>The <c>system</c> field of the output lines (BENCHMARKS.md names: lux-tcp, lux-http, dotnext, etcd).</summary>
    string Name { get; }

    /// <summary>What makes a commit durable in this system, printed with every point: the comparison needs fsync on everywhere.</summary>
    string Durability { get; }

    /// <summary>How the benchmark's client reaches the cluster, printed with every point.</summary>
    string Client { get; }

    /// <summary>Why the system cannot run on this machine (a binary or package missing), or null when it can.</summary>
    string? MissingPrerequisite();

    /// <summary>
    /// Starts <paramref name="nodeCount"/> replicas, each with its own data under <paramref name="dataDirectory"/>, and
    /// returns once a leader is known.
    /// </summary>
    Task StartAsync(int nodeCount, string dataDirectory, CancellationToken cancellationToken);

    /// <summary>A client of the running cluster that every concurrent caller of the load driver shares.</summary>
    Task<IE2eClient> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Stops every replica started by <see cref="StartAsync"/>, killing those that do not stop in time.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>A client of one running <see cref="IE2eSystem"/> cluster; safe to call concurrently.</summary>
public interface IE2eClient : IAsyncDisposable
{
    /// <summary>
    /// Writes <paramref name="value"/> under <paramref name="key"/>; completes once the write is committed (durable on a
    /// majority, as the system's <see cref="IE2eSystem.Durability"/> states) and applied. Throws if it failed.
    /// </summary>
    ValueTask ProposeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);
}
