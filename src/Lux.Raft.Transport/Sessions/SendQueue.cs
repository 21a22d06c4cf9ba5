using Lux.Raft;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// A peer's bounded send queue. Producers append under a lock; the single writer takes everything queued at once by
/// swapping two lists, so one flush carries all that accumulated while the previous one was being written. Messages over
/// the count or byte bound are refused, never buffered; snapshot frames are bounded by flow control instead.
/// </summary>
internal sealed class SendQueue(int capacity, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly WakeSignal _signal = new();
    private List<OutboundItem> _items = new(64);
    private List<OutboundItem>? _spare = new(64);
    private int _messages;
    private long _bytes;

    public int Count
    {
        get
        {
            lock (_gate) return _items.Count;
        }
    }

    public bool TryEnqueue(ulong partitionId, Message message)
    {
        var payload = MessageCodec.GetPayloadBytes(message);
        var weight = OutboundItem.Weight(message, payload);
        bool wasEmpty;
        lock (_gate)
        {
            if (_messages + 1 > capacity || (_messages > 0 && _bytes + weight > maxBytes)) return false;
            wasEmpty = _items.Count == 0;
            _items.Add(OutboundItem.ForMessage(partitionId, message, payload));
            _messages++;
            _bytes += weight;
        }
        if (wasEmpty) WakeOrDefer();
        return true;
    }

    public bool TryEnqueue(ReadOnlySpan<(ulong PartitionId, Message Message)> messages)
    {
        long weight = 0;
        foreach (var (_, message) in messages) weight += OutboundItem.Weight(message, MessageCodec.GetPayloadBytes(message));
        bool wasEmpty;
        lock (_gate)
        {
            if (_messages + messages.Length > capacity || (_messages > 0 && _bytes + weight > maxBytes)) return false;
            wasEmpty = _items.Count == 0;
            foreach (var (partitionId, message) in messages) _items.Add(OutboundItem.ForMessage(partitionId, message, MessageCodec.GetPayloadBytes(message)));
            _messages += messages.Length;
            _bytes += weight;
        }
        if (wasEmpty && messages.Length > 0) WakeOrDefer();
        return true;
    }

    /// <summary>Queues a snapshot frame; these are never refused (flow control bounds them).</summary>
    public void EnqueueSnapshotFrame(in OutboundItem item)
    {
        bool wasEmpty;
        lock (_gate)
        {
            wasEmpty = _items.Count == 0;
            _items.Add(item);
        }
        if (wasEmpty) Wake();
    }

    /// <summary>Takes everything queued; give the list back with <see cref="Recycle"/>.</summary>
    public List<OutboundItem> TakeAll()
    {
        var fresh = Interlocked.Exchange(ref _spare, null) ?? new List<OutboundItem>(64);
        lock (_gate)
        {
            var taken = _items;
            _items = fresh;
            _messages = 0;
            _bytes = 0;
            return taken;
        }
    }

    public void Recycle(List<OutboundItem> list)
    {
        list.Clear();
        Interlocked.CompareExchange(ref _spare, list, null);
    }

    private void WakeOrDefer()
    {
        if (SendBurst.Current is { } burst) burst.Defer(this);
        else Wake();
    }

    /// <summary>Wakes the writer on the thread pool (also for reasons other than new items: stop, a demand to connect, cancellation).</summary>
    public void Wake() => _signal.Set();

    /// <summary>Wakes the writer and lets it drain on this thread before returning: only where no caller's locks are held.</summary>
    public void WakeInline() => _signal.Set(resumeInline: true);

    /// <summary>Waits until woken; a wake that happened before the call counts. Cancellation reaches it as a <see cref="Wake"/>.</summary>
    public ValueTask WaitAsync() => _signal.WaitAsync();
}
