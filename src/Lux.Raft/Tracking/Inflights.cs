namespace Lux.Raft.Tracking;

/// <summary>
/// A bounded window of Append messages sent to one follower and not yet acknowledged, by count and by bytes.
/// A ring buffer: the leader adds the last index of each message and frees everything up to an acknowledged index.
/// </summary>
public sealed class Inflights
{
    private readonly int _capacity;
    private readonly long _maxBytes;
    private (ulong Index, long Bytes)[] _buffer;
    private int _start;

    /// <summary>Creates a window of at most <paramref name="capacity"/> messages and <paramref name="maxBytes"/> bytes.</summary>
    public Inflights(int capacity, long maxBytes = RaftConstants.NoLimit)
    {
        _capacity = capacity;
        _maxBytes = maxBytes;
        _buffer = new (ulong, long)[Math.Min(capacity, 16)];
    }

    /// <summary>Messages in flight.</summary>
    public int Count { get; private set; }

    /// <summary>Entry bytes in flight.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether no more messages may be sent.</summary>
    public bool Full => Count == _capacity || Bytes >= _maxBytes;

    /// <summary>Records a message whose last entry is <paramref name="index"/>.</summary>
    public void Add(ulong index, long bytes)
    {
        if (Full) throw new InvalidOperationException("cannot add into a full inflights window");
        if (Count == _buffer.Length) Grow();
        var next = _start + Count;
        if (next >= _buffer.Length) next -= _buffer.Length;
        _buffer[next] = (index, bytes);
        Count++;
        Bytes += bytes;
    }

    /// <summary>Frees every message whose last index is at most <paramref name="to"/>.</summary>
    public void FreeLE(ulong to)
    {
        if (Count == 0 || to < _buffer[_start].Index) return;
        var idx = _start;
        int i;
        long freed = 0;
        for (i = 0; i < Count; i++)
        {
            if (to < _buffer[idx].Index) break;
            freed += _buffer[idx].Bytes;
            if (++idx >= _buffer.Length) idx -= _buffer.Length;
        }
        Count -= i;
        Bytes -= freed;
        _start = Count == 0 ? 0 : idx;
    }

    /// <summary>Forgets everything in flight.</summary>
    public void Reset()
    {
        Count = 0;
        Bytes = 0;
        _start = 0;
    }

    private void Grow()
    {
        var size = Math.Min(_buffer.Length * 2, _capacity);
        var grown = new (ulong, long)[size];
        for (var i = 0; i < Count; i++) grown[i] = _buffer[(_start + i) % _buffer.Length];
        _buffer = grown;
        _start = 0;
    }
}
