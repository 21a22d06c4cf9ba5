using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb;

public sealed partial class LiteDbWriteAheadLog
{
    /// <summary>
    /// Checks the newest chunks of a partition against its metadata, newest first, until one reads cleanly up to the
    /// recorded last index: each record's checksum, its index in sequence, its term against the recorded term runs.
    /// A damaged or missing tail is cut back to the last valid entry, durably, with a log line; the entries read on
    /// the way warm the cache.
    /// </summary>
    private async Task<LiteDbRaftLogStore> VerifyAndOpenAsync(PartitionSlot slot)
    {
        try
        {
            return await VerifyTailAsync(slot).ConfigureAwait(false);
        }
        catch (LiteDB.LiteException ex)
        {
            _metrics.Corruptions.Add(1);
            WalLog.ReadCorruption(_logger, slot.Id, slot.Durable.LastIndex, ex.Message);
            lock (slot.Gate) slot.Opening = null;
            throw new WalCorruptionException($"partition {slot.Id}: the database file is damaged and its log cannot be read: {ex.Message}", ex);
        }
    }

    private async Task<LiteDbRaftLogStore> VerifyTailAsync(PartitionSlot slot)
    {
        LogState snapshot;
        lock (slot.Gate) snapshot = slot.Durable.Clone();
        var store = new LiteDbRaftLogStore(this, slot);
        if (snapshot.LastIndex == snapshot.DummyIndex) return store;

        var validLast = snapshot.LastIndex;
        string? reason = null;
        var warm = new List<Entry>();
        var upper = snapshot.LastIndex;
        var foundAny = false;
        foreach (var (first, _, payload) in _store.ReadChunksDescending(slot.Id))
        {
            foundAny = true;
            if (first > upper)
            {
                // A chunk starting past what the metadata records: left over from a write the metadata does not
                // know about. Cutting back at upper + 1 removes it.
                reason ??= $"chunk at {first} lies beyond the recorded last index {upper}";
                continue;
            }
            var reader = new ChunkReader(payload, slot.Id, first);
            var entries = new List<Entry>();
            string? error = null;
            while (reader.NextIndex <= upper && reader.TryRead(out var entry))
            {
                if (entry.Index > snapshot.DummyIndex
                    && (snapshot.TryGetTerm(entry.Index, out var term) != StorageStatus.Ok || term != entry.Term))
                {
                    error = $"entry {entry.Index} has term {entry.Term} where the metadata records {term}";
                    break;
                }
                entries.Add(entry);
            }
            error ??= reader.Error;
            var chunkEnd = first + (ulong)entries.Count - 1; // first - 1 when nothing is valid
            if (error is null && reader.NextIndex <= upper)
            {
                error = $"chunk at {first} ends at {reader.NextIndex - 1}, the metadata records {upper}";
            }
            if (error is not null)
            {
                reason ??= error;
                validLast = Math.Min(validLast, chunkEnd);
            }
            warm.InsertRange(0, entries.Where(e => e.Index > snapshot.DummyIndex && e.Index <= validLast));
            if (error is null || entries.Count > 0 || first <= snapshot.DummyIndex + 1) break;
            upper = first - 1;
        }
        if (!foundAny)
        {
            reason = "no chunk holds the recorded entries";
            validLast = snapshot.DummyIndex;
        }
        validLast = Math.Max(validLast, snapshot.DummyIndex);

        if (reason is not null && validLast < snapshot.LastIndex)
        {
            _metrics.Corruptions.Add(1);
            WalLog.PartitionTailCutBack(_logger, slot.Id, reason, snapshot.LastIndex, validLast);
            if (snapshot.HardState.Commit > validLast) WalLog.CommittedEntriesLost(_logger, slot.Id, validLast, snapshot.HardState.Commit);
            await Enqueue(new RepairRequest(slot, validLast), CancellationToken.None).ConfigureAwait(false);
        }
        else if (reason is not null)
        {
            // Damage beyond the recorded last index only: trim it so later appends do not collide with it.
            WalLog.PartitionTailCutBack(_logger, slot.Id, reason, snapshot.LastIndex, validLast);
            await Enqueue(new RepairRequest(slot, validLast), CancellationToken.None).ConfigureAwait(false);
        }
        lock (slot.Gate)
        {
            if (slot.Cache.Count == 0) slot.Cache.Prepend(warm.Where(e => e.Index <= slot.Durable.LastIndex).ToList());
        }
        return store;
    }
}
