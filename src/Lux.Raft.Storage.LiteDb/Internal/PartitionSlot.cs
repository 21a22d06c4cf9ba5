namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// Everything the WAL keeps in memory about one partition. Readers see <see cref="Durable"/> and <see cref="Cache"/>
/// (under <see cref="Gate"/>), which change only once a batch is synced; the group-commit writer plans on
/// <see cref="Writer"/>, its own copy that runs ahead by the batch in flight.
/// </summary>
internal sealed class PartitionSlot(ulong id, LogState state, long cacheBudget)
{
    public ulong Id { get; } = id;

    public object Gate { get; } = new();

    public LogState Durable { get; } = state;

    public EntryCache Cache { get; } = new(cacheBudget);

    /// <summary>The writer thread's view; touched only by the writer thread.</summary>
    public LogState Writer { get; set; } = state.Clone();

    /// <summary>Truncations, compactions, snapshots and repairs the writer has started on this partition.</summary>
    public long StagedStructural;

    /// <summary>Of those, how many readers can see (guarded by <see cref="Gate"/>).</summary>
    public long PublishedStructural;

    /// <summary>Why the stored metadata could not be read, if it could not.</summary>
    public string? CorruptReason { get; set; }

    /// <summary>The first open's tail check, shared by concurrent openers.</summary>
    public Task<LiteDbRaftLogStore>? Opening { get; set; }

    /// <summary>Whether anything of this partition is stored (a metadata document exists or is being written).</summary>
    public bool Stored { get; set; }
}
