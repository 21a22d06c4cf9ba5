using Lux.Raft.Sessions;
using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Simulation;

/// <summary>A client issuing one key-value operation at a time, recording invocation and response times.</summary>
internal sealed class SimClient(int id)
{
    public int Id { get; } = id;

    public KvInput? Current { get; set; }

    public long CallTime { get; set; }

    /// <summary>Virtual time after which a write's outcome is recorded as unknown (a read is abandoned).</summary>
    public long Deadline { get; set; }

    /// <summary>The node the client talks to for the current attempt, or null between attempts.</summary>
    public ulong? Node { get; set; }

    /// <summary>Whether the current write was accepted by some leader: its outcome is then no longer "definitely not applied".</summary>
    public bool Proposed { get; set; }

    /// <summary>The next time the client may (re)try.</summary>
    public long NextAttempt { get; set; }

    public ulong LeaderGuess { get; set; }

    public int Attempts { get; set; }

    /// <summary>The client's session once registered; null before, and again after the session expired.</summary>
    public ClientSession? Session { get; set; }

    /// <summary>Whether the outstanding proposal is a session registration.</summary>
    public bool Registering { get; set; }

    /// <summary>The current write's sequence number in <see cref="Session"/> (0 until assigned); every retry reuses it.</summary>
    public ulong Sequence { get; set; }
}
