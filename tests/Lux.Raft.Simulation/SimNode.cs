using Lux.Raft.Sessions;
using Lux.Raft.Storage;

namespace Lux.Raft.Simulation;

/// <summary>
/// One simulated replica: a <see cref="RawNode"/>, a disk (the durable <see cref="MemoryStorage"/> plus at most one
/// write in flight, lost on a crash), and a key-value state machine rebuilt from the log after every restart.
/// </summary>
internal sealed class SimNode(ulong id)
{
    public ulong Id { get; } = id;

    /// <summary>What survives a crash.</summary>
    public MemoryStorage Disk { get; } = new();

    public RawNode? Raft { get; set; }

    public bool IsUp => Raft is not null;

    /// <summary>Bumped on every crash, so that events scheduled for an earlier life are ignored.</summary>
    public int Epoch { get; set; }

    public Ready? InFlight { get; set; }

    /// <summary>This life's tick period in time units (the clock's drift) and when the next tick is due.</summary>
    public double TickPeriod { get; set; }

    public double NextTickAt { get; set; }

    public bool InFlightMessagesSent { get; set; }

    /// <summary>The user state machine and the exactly-once session layer around it; rebuilt after every crash.</summary>
    public KvStateMachine Kv { get; private set; } = new();

    public SessionStateMachine Sessions { get; private set; } = null!;

    public SessionOptions SessionOptions { get; init; } = new();

    public Dictionary<string, string> State => Kv.State;

    public ulong Applied { get; set; }

    /// <summary>The configuration this node applied last, and the one before: an entry commits under one of them.</summary>
    public ConfState Config { get; set; } = new();

    public ConfState PreviousConfig { get; set; } = new();

    public ConfState Bootstrap { get; set; } = new();

    /// <summary>Proposals of this node's clients, by log index: the term they were proposed in and who waits.</summary>
    public Dictionary<ulong, (ulong Term, SimClient Client)> WaitingWrites { get; } = [];

    /// <summary>Read requests by context: the client waiting.</summary>
    public Dictionary<long, SimClient> WaitingReads { get; } = [];

    /// <summary>Reads whose index is known, waiting for the state machine to catch up.</summary>
    public List<(ulong Index, long Context)> ConfirmedReads { get; } = [];

    public void Crash()
    {
        Raft = null;
        InFlight = null;
        InFlightMessagesSent = false;
        Epoch++;
        ResetStateMachine();
        Applied = 0;
        Config = Bootstrap;
        PreviousConfig = Bootstrap;
        IncomingSnapshots.Clear();
        WaitingWrites.Clear();
        WaitingReads.Clear();
        ConfirmedReads.Clear();
    }

    public void ResetStateMachine()
    {
        Kv = new KvStateMachine();
        Sessions = new SessionStateMachine(Kv, SessionOptions);
    }

    public bool UnsafeNoDeduplication { get; init; }

    public SessionOutcome Apply(Entry entry)
    {
        if (UnsafeNoDeduplication && SessionCommand.TryDecode(entry.Data, out var command) && command.Kind == SessionCommandKind.Command)
        {
            return Sessions.ApplyEntry(entry.Index, SessionCommand.Unsessioned(command.TimestampMs, command.Payload.Span));
        }
        return Sessions.ApplyEntry(entry.Index, entry.Data);
    }

    /// <summary>The state machine's snapshot at the disk's snapshot point; durable like the disk.</summary>
    public byte[] SnapshotData { get; set; } = [];

    /// <summary>Recent snapshots by index, so a Snapshot message built before a newer compaction still finds its data.</summary>
    public Dictionary<ulong, byte[]> SnapshotHistory { get; } = [];

    /// <summary>Snapshot data that arrived with a Snapshot message, by (index, term), until the host installs it.</summary>
    public Dictionary<(ulong Index, ulong Term), byte[]> IncomingSnapshots { get; } = [];

    // The simulator is single-threaded and its streams are in memory, so these complete synchronously.
    public byte[] SerializeState()
    {
        using var stream = new MemoryStream();
        Sessions.SnapshotAsync(stream).AsTask().GetAwaiter().GetResult();
        return stream.ToArray();
    }

    public void RestoreState(byte[] data)
    {
        ResetStateMachine();
        if (data.Length == 0) return;
        Sessions.RestoreAsync(new MemoryStream(data)).AsTask().GetAwaiter().GetResult();
    }
}
