namespace Lux.Raft;

/// <summary>
/// Where the core reports noteworthy events (elections, leader changes, refused input). The core has no logging
/// dependency; a host adapts this to its logger. Calls happen on the replica's driving thread.
/// </summary>
public interface IRaftLogger
{
    /// <summary>A state change worth an information line (became leader, stepped down, campaign).</summary>
    void Info(ulong replicaId, string message);

    /// <summary>Input that the protocol refused, or an unexpected condition that was handled.</summary>
    void Warning(ulong replicaId, string message);
}

/// <summary>A logger that discards everything.</summary>
public sealed class NullRaftLogger : IRaftLogger
{
    /// <summary>The shared instance.</summary>
    public static NullRaftLogger Instance { get; } = new();

    /// <inheritdoc />
    public void Info(ulong replicaId, string message) { }

    /// <inheritdoc />
    public void Warning(ulong replicaId, string message) { }
}
