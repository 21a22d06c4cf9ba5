namespace Lux.Raft.Sessions;

/// <summary>
/// The client's side of a session: hands out sequence numbers and tracks which are still waiting for a result, so each
/// command tells the state machine which results it may forget. Thread-safe; one instance per session.
/// <para>
/// To retry a command, encode it again with the same sequence number (<see cref="Encode"/>): the state machine applies a
/// sequence number at most once and answers a retry with the first result. Call <see cref="Complete"/> once a result
/// has arrived (or the caller has given up on it).
/// </para>
/// </summary>
public sealed class ClientSession
{
    private readonly Lock _lock = new();
    private readonly SortedSet<ulong> _outstanding = [];
    private ulong _next = 1;

    /// <summary>Creates the client side of the session with id <paramref name="sessionId"/> (a registration's result).</summary>
    public ClientSession(ulong sessionId) => SessionId = sessionId;

    /// <summary>The session id.</summary>
    public ulong SessionId { get; }

    /// <summary>Sequence numbers handed out and not yet completed.</summary>
    public int OutstandingCount
    {
        get { lock (_lock) return _outstanding.Count; }
    }

    /// <summary>Takes the next sequence number; it stays outstanding until <see cref="Complete"/>.</summary>
    public ulong NextSequence()
    {
        lock (_lock)
        {
            var sequence = _next++;
            _outstanding.Add(sequence);
            return sequence;
        }
    }

    /// <summary>Encodes the command with sequence number <paramref name="sequence"/>, for its first try or a retry.</summary>
    public byte[] Encode(ulong sequence, long timestampMs, ReadOnlySpan<byte> payload)
    {
        ulong lowest;
        lock (_lock)
        {
            if (!_outstanding.Contains(sequence)) throw new InvalidOperationException($"sequence {sequence} is not outstanding");
            lowest = _outstanding.Min;
        }
        return SessionCommand.Command(SessionId, sequence, lowest, timestampMs, payload);
    }

    /// <summary>Marks <paramref name="sequence"/> as answered, so later commands let the state machine forget its result.</summary>
    public void Complete(ulong sequence)
    {
        lock (_lock) _outstanding.Remove(sequence);
    }
}
