namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// The newest entries of one partition, kept in memory up to a byte budget so that replication and apply, which read
/// near the tail, never touch LiteDB. Holds a contiguous range [<see cref="First"/>, <see cref="Last"/>].
/// </summary>
internal sealed class EntryCache(long budgetBytes)
{
    private readonly List<Entry> _items = [];
    private int _head;
    private long _bytes;

    public int Count => _items.Count - _head;

    public ulong First => _items[_head].Index;

    public ulong Last => _items[^1].Index;

    public long Bytes => _bytes;

    /// <summary>Adds consecutive entries, replacing any cached suffix from the first of them.</summary>
    public void Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty) return;
        var start = entries[0].Index;
        if (Count > 0)
        {
            if (start <= First || start > Last + 1) Clear();
            else if (start <= Last) RemoveFrom(start);
        }
        foreach (ref readonly var e in entries)
        {
            _items.Add(e);
            _bytes += e.Size;
        }
        while (_bytes > budgetBytes && Count > 0) RemoveFirst();
    }

    /// <summary>Adds older entries just below the cached range while they fit (warming from disk).</summary>
    public void Prepend(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        if (Count > 0 && entries[^1].Index + 1 != First) return;
        var take = 0;
        long bytes = 0;
        for (var i = entries.Count - 1; i >= 0 && _bytes + bytes + entries[i].Size <= budgetBytes; i--)
        {
            bytes += entries[i].Size;
            take++;
        }
        if (take == 0) return;
        Compact();
        _items.InsertRange(0, entries.Skip(entries.Count - take));
        _bytes += bytes;
    }

    /// <summary>Drops entries at or below <paramref name="index"/>.</summary>
    public void DropThrough(ulong index)
    {
        while (Count > 0 && First <= index) RemoveFirst();
    }

    /// <summary>Drops entries at or above <paramref name="index"/>.</summary>
    public void RemoveFrom(ulong index)
    {
        if (Count == 0 || index > Last) return;
        if (index <= First)
        {
            Clear();
            return;
        }
        var keep = (int)(index - First);
        for (var i = _head + keep; i < _items.Count; i++) _bytes -= _items[i].Size;
        _items.RemoveRange(_head + keep, _items.Count - _head - keep);
    }

    public void Clear()
    {
        _items.Clear();
        _head = 0;
        _bytes = 0;
    }

    /// <summary>Copies [low, high) under the same size rule as <see cref="MemoryStorage.GetEntries"/>, if all of it is cached.</summary>
    public bool TryGet(ulong low, ulong high, long maxBytes, List<Entry> into)
    {
        if (Count == 0 || low < First || high > Last + 1) return false;
        long size = 0;
        for (var i = low; i < high; i++)
        {
            var entry = _items[_head + (int)(i - First)];
            size += entry.Size;
            if (i > low && size > maxBytes) break;
            into.Add(entry);
        }
        return true;
    }

    private void RemoveFirst()
    {
        _bytes -= _items[_head].Size;
        _items[_head] = default;
        _head++;
        if (_head == _items.Count) Clear();
        else if (_head > 1024 && _head > _items.Count / 2) Compact();
    }

    private void Compact()
    {
        if (_head == 0) return;
        _items.RemoveRange(0, _head);
        _head = 0;
    }
}
