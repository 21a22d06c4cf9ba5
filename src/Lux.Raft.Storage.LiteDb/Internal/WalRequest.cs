namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// One caller's write, queued for the next group commit. <see cref="Stage"/> runs on the writer thread inside the
/// LiteDB transaction (validate, update the writer's view, issue LiteDB writes); <see cref="Publish"/> runs after the
/// sync and repeats the same logical change on the readers' view. Completion follows publication.
/// </summary>
internal abstract class WalRequest(PartitionSlot slot) : WalWork
{
    public PartitionSlot Slot { get; } = slot;

    /// <summary>Bytes this request adds to a batch (for the batch size limit).</summary>
    public virtual long Bytes => 64;

    /// <summary>Entries and payload bytes it appends (for metrics).</summary>
    public virtual (long Entries, long Bytes) Appended => (0, 0);

    /// <summary>Whether staging changed the partition's structure (readers of older entries must not interleave).</summary>
    public bool Structural { get; protected set; }

    /// <summary>Whether staging produced any change that must be written.</summary>
    public bool Changed { get; protected set; }

    public abstract void Stage(WalBatch batch, PartitionBatch partition);

    public abstract void Publish(LogState durable, EntryCache cache);
}

/// <summary>Anything queued for the writer thread; its task completes when the work is durable.</summary>
internal abstract class WalWork
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    public void Complete() => _done.TrySetResult();

    public void Fail(Exception exception) => _done.TrySetException(exception);
}

/// <summary>Asks the writer for a checkpoint between two group commits.</summary>
internal sealed class CheckpointRequest : WalWork;

internal sealed class SaveRequest(PartitionSlot slot, HardState? hardState, ReadOnlyMemory<Entry> entries) : WalRequest(slot)
{
    private AppendPlan _plan;

    public override long Bytes
    {
        get
        {
            long bytes = 64;
            foreach (ref readonly var e in entries.Span) bytes += e.Size;
            return bytes;
        }
    }

    public override (long Entries, long Bytes) Appended
    {
        get
        {
            long bytes = 0;
            foreach (ref readonly var e in entries.Span.Slice(_plan.Skip, _plan.Count)) bytes += e.Data.Length;
            return (_plan.Count, bytes);
        }
    }

    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        var span = entries.Span;
        _plan = Slot.Writer.PlanAppend(span);
        if (_plan.Count > 0)
        {
            if (_plan.Truncates)
            {
                Structural = true;
                Interlocked.Increment(ref Slot.StagedStructural);
                partition.TruncateFrom(_plan.Start);
            }
            Slot.Writer.Append(span, _plan);
            partition.Buffer(span.Slice(_plan.Skip, _plan.Count));
            Changed = true;
        }
        if (hardState is { } hs && hs != Slot.Writer.HardState)
        {
            Slot.Writer.HardState = hs;
            Changed = true;
        }
        if (Changed) partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache)
    {
        var span = entries.Span;
        var plan = durable.PlanAppend(span);
        durable.Append(span, plan);
        cache.Append(span.Slice(plan.Skip, plan.Count));
        if (hardState is { } hs) durable.HardState = hs;
    }
}

internal sealed class SnapshotRequest(PartitionSlot slot, SnapshotMetadata snapshot) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        var persistedLast = partition.PersistedLast;
        if (!Slot.Writer.ApplySnapshot(snapshot, out var kept)) return;
        Structural = Changed = true;
        Interlocked.Increment(ref Slot.StagedStructural);
        if (kept) partition.DeleteThrough(snapshot.Index, persistedLast);
        else partition.DeleteAll();
        partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache)
    {
        if (!durable.ApplySnapshot(snapshot, out var kept)) return;
        if (kept) cache.DropThrough(snapshot.Index);
        else cache.Clear();
    }
}

/// <summary>Records a snapshot of the host's own state machine; no entry is dropped, so only the partition's metadata is written.</summary>
internal sealed class RecordSnapshotRequest(PartitionSlot slot, SnapshotMetadata snapshot) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        if (!Slot.Writer.RecordSnapshot(snapshot)) return;
        Changed = true;
        partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache) => durable.RecordSnapshot(snapshot);
}

internal sealed class CompactRequest(PartitionSlot slot, ulong compactIndex) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        if (!Slot.Writer.CheckCompact(compactIndex)) return;
        var persistedLast = partition.PersistedLast;
        Slot.Writer.Compact(compactIndex);
        Structural = Changed = true;
        Interlocked.Increment(ref Slot.StagedStructural);
        partition.DeleteThrough(compactIndex, persistedLast);
        partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache)
    {
        durable.Compact(compactIndex);
        cache.DropThrough(compactIndex);
    }
}

internal sealed class ConfStateRequest(PartitionSlot slot, ConfState confState) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        if (Slot.Writer.ConfState.Equals(confState)) return;
        Slot.Writer.ConfState = confState;
        Changed = true;
        partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache) => durable.ConfState = confState;
}

/// <summary>Cuts a partition back to its last valid entry after its tail failed the open-time check.</summary>
internal sealed class RepairRequest(PartitionSlot slot, ulong lastValidIndex) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        // Always rewrite the tail, even when the recorded last index stands: stray chunks past it must go too.
        var from = Math.Max(lastValidIndex, Slot.Writer.DummyIndex) + 1;
        Structural = Changed = true;
        Interlocked.Increment(ref Slot.StagedStructural);
        partition.TruncateFrom(from);
        Slot.Writer.CutBack(lastValidIndex);
        partition.MetaDirty = true;
    }

    public override void Publish(LogState durable, EntryCache cache)
    {
        durable.CutBack(lastValidIndex);
        cache.RemoveFrom(Math.Max(lastValidIndex, durable.DummyIndex) + 1);
    }
}

/// <summary>Removes a partition's chunks and metadata.</summary>
internal sealed class DeleteRequest(PartitionSlot slot) : WalRequest(slot)
{
    public override void Stage(WalBatch batch, PartitionBatch partition)
    {
        Structural = Changed = true;
        Interlocked.Increment(ref Slot.StagedStructural);
        partition.DeleteAll();
        partition.Deleted = true;
        Slot.Writer = new LogState();
    }

    public override void Publish(LogState durable, EntryCache cache)
    {
        durable.Load(0, 0, 0, HardState.Empty, new ConfState(), SnapshotMetadata.Empty, []);
        cache.Clear();
    }
}
