namespace Lux.Raft.ReadOnly;

/// <summary>
/// The leader's pending ReadIndex requests (thesis §6.4): each waits for a quorum of heartbeat acknowledgements that
/// carry its context. When one request is confirmed, all requests queued before it are confirmed too.
/// </summary>
internal sealed class ReadIndexQueue
{
    private readonly Dictionary<ReadOnlyMemory<byte>, ReadIndexStatus> _pending = new(ContextComparer.Instance);
    private readonly List<ReadOnlyMemory<byte>> _queue = [];

    public int Count => _queue.Count;

    /// <summary>Queues a request confirmed at commit index <paramref name="index"/>; a duplicate context is ignored.</summary>
    public void Add(ulong index, Message request, ulong self)
    {
        if (_pending.ContainsKey(request.Context)) return;
        var status = new ReadIndexStatus(request, index);
        status.Acks.Add(self);
        _pending[request.Context] = status;
        _queue.Add(request.Context);
    }

    /// <summary>Records that <paramref name="id"/> acknowledged the heartbeat carrying <paramref name="context"/>; returns the acknowledgers or null if unknown.</summary>
    public HashSet<ulong>? RecvAck(ulong id, ReadOnlyMemory<byte> context)
    {
        if (!_pending.TryGetValue(context, out var status)) return null;
        status.Acks.Add(id);
        return status.Acks;
    }

    /// <summary>Removes and returns every request up to and including the one with <paramref name="context"/>.</summary>
    public List<ReadIndexStatus> Advance(ReadOnlyMemory<byte> context)
    {
        var released = new List<ReadIndexStatus>();
        var at = -1;
        for (var i = 0; i < _queue.Count; i++)
        {
            if (ContextComparer.Instance.Equals(_queue[i], context))
            {
                at = i;
                break;
            }
        }
        if (at < 0) return released;
        for (var i = 0; i <= at; i++)
        {
            released.Add(_pending[_queue[i]]);
            _pending.Remove(_queue[i]);
        }
        _queue.RemoveRange(0, at + 1);
        return released;
    }

    /// <summary>The context of the most recent request, to piggyback on heartbeats.</summary>
    public ReadOnlyMemory<byte> LastPendingContext => _queue.Count == 0 ? default : _queue[^1];

    public void Clear()
    {
        _pending.Clear();
        _queue.Clear();
    }
}

/// <summary>A pending read: the request, the commit index it must wait for, and who confirmed leadership.</summary>
internal sealed class ReadIndexStatus(Message request, ulong index)
{
    public Message Request { get; } = request;
    public ulong Index { get; } = index;
    public HashSet<ulong> Acks { get; } = [];
}

/// <summary>Compares request contexts by content.</summary>
internal sealed class ContextComparer : IEqualityComparer<ReadOnlyMemory<byte>>
{
    public static ContextComparer Instance { get; } = new();

    public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(ReadOnlyMemory<byte> obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj.Span);
        return hash.ToHashCode();
    }
}
