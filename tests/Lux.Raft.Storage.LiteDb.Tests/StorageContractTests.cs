using Lux.Raft.Storage;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// The storage contract, run against every <see cref="IRaftLogStore"/>: <see cref="MemoryStorage"/> (the reference) and
/// the LiteDB WAL. Every check is repeated after <see cref="ReopenAsync"/>, which for a persistent store closes and
/// reopens it from disk, so "durable" is part of the contract being checked.
/// </summary>
public abstract class StorageContractTests : IAsyncLifetime
{
    protected IRaftLogStore Store { get; private set; } = null!;

    protected abstract Task<IRaftLogStore> CreateAsync();

    /// <summary>Returns the store as it would be after a restart (the same instance for in-memory storage).</summary>
    protected abstract Task<IRaftLogStore> ReopenAsync();

    public virtual async Task InitializeAsync() => Store = await CreateAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private async Task Check(Action<IRaftLogStore> assert)
    {
        assert(Store);
        Store = await ReopenAsync();
        assert(Store);
    }

    private static List<Entry> Read(IRaftLogStore s, ulong low, ulong high, long maxBytes = RaftConstants.NoLimit)
    {
        var into = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, s.GetEntries(low, high, maxBytes, into));
        return into;
    }

    private static ulong Term(IRaftLogStore s, ulong index)
    {
        Assert.Equal(StorageStatus.Ok, s.TryGetTerm(index, out var term));
        return term;
    }

    private static void AssertEntries(IEnumerable<Entry> expected, IEnumerable<Entry> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        Assert.Equal(e.Count, a.Count);
        for (var i = 0; i < e.Count; i++)
        {
            Assert.Equal(e[i].Index, a[i].Index);
            Assert.Equal(e[i].Term, a[i].Term);
            Assert.Equal(e[i].Type, a[i].Type);
            Assert.True(e[i].Data.Span.SequenceEqual(a[i].Data.Span), $"payload of entry {e[i].Index} differs");
        }
    }

    [Fact]
    public async Task An_empty_log_starts_after_index_zero()
    {
        await Check(s =>
        {
            Assert.Equal(1UL, s.FirstIndex);
            Assert.Equal(0UL, s.LastIndex);
            Assert.Equal(0UL, Term(s, 0));
            Assert.Equal(StorageStatus.Unavailable, s.TryGetTerm(1, out _));
            Assert.Empty(Read(s, 1, 1));
            Assert.Equal(StorageStatus.Unavailable, s.GetEntries(1, 2, RaftConstants.NoLimit, []));
            Assert.True(s.InitialState().HardState.IsEmpty);
            Assert.True(s.Snapshot.IsEmpty);
        });
    }

    [Fact]
    public async Task Appended_entries_are_read_back_with_their_terms()
    {
        var entries = Entries.Make(1, 5, 1).Concat(Entries.Make(6, 3, 2)).Append(new Entry(9, 2, EntryType.ConfChange, new byte[] { 7, 7 })).ToArray();
        await Store.SaveAsync(new HardState(2, 3, 4), entries);
        await Check(s =>
        {
            Assert.Equal(1UL, s.FirstIndex);
            Assert.Equal(9UL, s.LastIndex);
            Assert.Equal(1UL, Term(s, 5));
            Assert.Equal(2UL, Term(s, 6));
            Assert.Equal(2UL, Term(s, 9));
            Assert.Equal(StorageStatus.Unavailable, s.TryGetTerm(10, out _));
            AssertEntries(entries[1..4], Read(s, 2, 5));
            AssertEntries(entries, Read(s, 1, 10));
            Assert.Equal(new HardState(2, 3, 4), s.InitialState().HardState);
        });
    }

    [Fact]
    public async Task Terms_are_found_across_many_term_changes()
    {
        var entries = Enumerable.Range(1, 60).Select(i => new Entry((ulong)i, (ulong)(i / 7 + 1), new byte[] { (byte)i })).ToArray();
        await Store.SaveAsync(null, entries);
        await Check(s =>
        {
            foreach (var e in entries) Assert.Equal(e.Term, Term(s, e.Index));
        });
    }

    [Fact]
    public async Task A_read_stops_at_max_bytes_but_returns_at_least_one_entry()
    {
        var entries = Entries.Make(1, 10, 1, size: 100);
        await Store.SaveAsync(null, entries);
        var one = entries[0].Size;
        await Check(s =>
        {
            AssertEntries(entries[..1], Read(s, 1, 11, 0));
            AssertEntries(entries[..1], Read(s, 1, 11, one));
            AssertEntries(entries[..1], Read(s, 1, 11, one + one - 1));
            AssertEntries(entries[..2], Read(s, 1, 11, one + one));
            AssertEntries(entries[3..6], Read(s, 4, 11, 3L * one));
            AssertEntries(entries, Read(s, 1, 11));
        });
    }

    [Fact]
    public async Task A_read_outside_the_log_reports_compacted_or_unavailable()
    {
        await Store.SaveAsync(null, Entries.Make(1, 10, 1));
        await Store.CompactAsync(4);
        await Check(s =>
        {
            Assert.Equal(StorageStatus.Compacted, s.GetEntries(4, 6, RaftConstants.NoLimit, []));
            Assert.Equal(StorageStatus.Compacted, s.GetEntries(2, 6, RaftConstants.NoLimit, []));
            Assert.Equal(StorageStatus.Unavailable, s.GetEntries(5, 12, RaftConstants.NoLimit, []));
            Assert.Single(Read(s, 5, 6));
            Assert.Empty(Read(s, 7, 7));
        });
    }

    [Fact]
    public async Task A_conflicting_suffix_is_replaced()
    {
        await Store.SaveAsync(new HardState(1, 1, 0), Entries.Make(1, 5, 1));
        var replacement = Entries.Make(3, 2, 2, size: 40);
        await Store.SaveAsync(new HardState(2, 2, 2), replacement);
        await Check(s =>
        {
            Assert.Equal(4UL, s.LastIndex);
            Assert.Equal(1UL, Term(s, 2));
            Assert.Equal(2UL, Term(s, 3));
            Assert.Equal(StorageStatus.Unavailable, s.TryGetTerm(5, out _));
            AssertEntries(Entries.Make(1, 2, 1).Concat(replacement), Read(s, 1, 5));
            Assert.Equal(new HardState(2, 2, 2), s.InitialState().HardState);
        });
    }

    [Fact]
    public async Task Rewriting_from_the_first_index_replaces_everything()
    {
        await Store.SaveAsync(null, Entries.Make(1, 5, 1));
        await Store.SaveAsync(null, Entries.Make(1, 2, 3));
        await Check(s =>
        {
            Assert.Equal(2UL, s.LastIndex);
            AssertEntries(Entries.Make(1, 2, 3), Read(s, 1, 3));
        });
    }

    [Fact]
    public async Task An_append_after_a_gap_is_rejected_and_changes_nothing()
    {
        await Store.SaveAsync(null, Entries.Make(1, 3, 1));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.SaveAsync(new HardState(9, 9, 9), Entries.Make(5, 2, 1)));
        await Check(s =>
        {
            Assert.Equal(3UL, s.LastIndex);
            Assert.NotEqual(9UL, s.InitialState().HardState.Term);
        });
    }

    [Fact]
    public async Task Entries_below_the_first_index_are_ignored_on_append()
    {
        await Store.SaveAsync(null, Entries.Make(1, 10, 1));
        await Store.CompactAsync(5);
        await Store.SaveAsync(null, Entries.Make(2, 3, 1));
        await Check(s => Assert.Equal(10UL, s.LastIndex));
        await Store.SaveAsync(null, Entries.Make(4, 4, 2));
        await Check(s =>
        {
            Assert.Equal(7UL, s.LastIndex);
            Assert.Equal(6UL, s.FirstIndex);
            Assert.Equal(1UL, Term(s, 5));
            Assert.Equal(2UL, Term(s, 6));
            AssertEntries(Entries.Make(6, 2, 2), Read(s, 6, 8));
        });
    }

    [Fact]
    public async Task Compaction_keeps_the_term_at_the_compaction_point()
    {
        await Store.SaveAsync(null, Entries.Make(1, 5, 1).Concat(Entries.Make(6, 5, 2)).ToArray());
        await Store.CompactAsync(6);
        await Store.CompactAsync(3);
        await Check(s =>
        {
            Assert.Equal(7UL, s.FirstIndex);
            Assert.Equal(10UL, s.LastIndex);
            Assert.Equal(2UL, Term(s, 6));
            Assert.Equal(StorageStatus.Compacted, s.TryGetTerm(5, out _));
            AssertEntries(Entries.Make(7, 4, 2), Read(s, 7, 11));
        });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.CompactAsync(11));
        await Store.CompactAsync(10);
        await Check(s =>
        {
            Assert.Equal(11UL, s.FirstIndex);
            Assert.Equal(10UL, s.LastIndex);
            Assert.Equal(2UL, Term(s, 10));
        });
        await Store.SaveAsync(null, Entries.Make(11, 2, 3));
        await Check(s => AssertEntries(Entries.Make(11, 2, 3), Read(s, 11, 13)));
    }

    [Fact]
    public async Task A_recorded_snapshot_keeps_every_entry_until_a_separate_compaction_below_it()
    {
        await Store.SaveAsync(new HardState(2, 1, 3), Entries.Make(1, 10, 2));
        var conf = ConfState.OfVoters(1, 2, 3);
        await Store.RecordSnapshotAsync(new SnapshotMetadata(8, 2, conf));
        await Check(s =>
        {
            Assert.Equal(1UL, s.FirstIndex);
            Assert.Equal(new SnapshotMetadata(8, 2, conf), s.Snapshot);
            Assert.Equal(conf, s.InitialState().ConfState);
            Assert.Equal(8UL, s.InitialState().HardState.Commit);
            AssertEntries(Entries.Make(1, 10, 2), Read(s, 1, 11));
        });

        await Store.CompactAsync(5);
        await Check(s =>
        {
            Assert.Equal(6UL, s.FirstIndex);
            Assert.Equal(8UL, s.Snapshot.Index);
            AssertEntries(Entries.Make(6, 5, 2), Read(s, 6, 11));
        });

        await Store.RecordSnapshotAsync(new SnapshotMetadata(7, 2, conf));
        Assert.Equal(8UL, Store.Snapshot.Index);
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.RecordSnapshotAsync(new SnapshotMetadata(9, 3, conf)));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.RecordSnapshotAsync(new SnapshotMetadata(12, 2, conf)));
        await Check(s => Assert.Equal(new SnapshotMetadata(8, 2, conf), s.Snapshot));
    }

    [Fact]
    public async Task A_snapshot_that_matches_the_log_keeps_the_later_entries()
    {
        await Store.SaveAsync(new HardState(2, 1, 3), Entries.Make(1, 10, 2));
        var conf = ConfState.OfVoters(1, 2, 3);
        await Store.ApplySnapshotAsync(new SnapshotMetadata(6, 2, conf));
        await Check(s =>
        {
            Assert.Equal(7UL, s.FirstIndex);
            Assert.Equal(10UL, s.LastIndex);
            Assert.Equal(2UL, Term(s, 6));
            Assert.Equal(new SnapshotMetadata(6, 2, conf), s.Snapshot);
            Assert.Equal(conf, s.InitialState().ConfState);
            Assert.Equal(6UL, s.InitialState().HardState.Commit);
            AssertEntries(Entries.Make(7, 4, 2), Read(s, 7, 11));
        });
    }

    [Fact]
    public async Task A_snapshot_that_conflicts_with_the_log_replaces_it()
    {
        await Store.SaveAsync(new HardState(2, 1, 8), Entries.Make(1, 10, 2));
        await Store.ApplySnapshotAsync(new SnapshotMetadata(6, 3, ConfState.OfVoters(4)));
        await Check(s =>
        {
            Assert.Equal(7UL, s.FirstIndex);
            Assert.Equal(6UL, s.LastIndex);
            Assert.Equal(3UL, Term(s, 6));
            Assert.Equal(8UL, s.InitialState().HardState.Commit);
            Assert.Equal(ConfState.OfVoters(4), s.InitialState().ConfState);
        });
        await Store.ApplySnapshotAsync(new SnapshotMetadata(5, 9, ConfState.OfVoters(5)));
        await Store.ApplySnapshotAsync(new SnapshotMetadata(20, 4, ConfState.OfVoters(6)));
        await Check(s =>
        {
            Assert.Equal(21UL, s.FirstIndex);
            Assert.Equal(20UL, s.LastIndex);
            Assert.Equal(4UL, Term(s, 20));
            Assert.Equal(20UL, s.Snapshot.Index);
        });
        await Store.SaveAsync(null, Entries.Make(21, 3, 4));
        await Check(s => AssertEntries(Entries.Make(21, 3, 4), Read(s, 21, 24)));
    }

    [Fact]
    public async Task Hard_state_alone_is_durable()
    {
        await Store.SaveAsync(new HardState(7, 2, 0), ReadOnlyMemory<Entry>.Empty);
        await Check(s => Assert.Equal(new HardState(7, 2, 0), s.InitialState().HardState));
    }

    [Fact]
    public async Task Many_small_appends_read_back_across_chunks()
    {
        var all = new List<Entry>();
        for (var i = 0; i < 40; i++)
        {
            var batch = Entries.Make((ulong)all.Count + 1, 1 + i % 5, (ulong)(1 + i / 10), size: 10 + i * 13);
            all.AddRange(batch);
            await Store.SaveAsync(new HardState((ulong)(1 + i / 10), 1, (ulong)all.Count), batch);
        }
        await Check(s =>
        {
            AssertEntries(all, Read(s, 1, (ulong)all.Count + 1));
            for (var low = 1; low < all.Count; low += 7)
            {
                AssertEntries(all.Skip(low - 1).Take(9), Read(s, (ulong)low, (ulong)Math.Min(all.Count + 1, low + 9)));
            }
        });
    }
}

public sealed class MemoryStorageContractTests : StorageContractTests
{
    protected override Task<IRaftLogStore> CreateAsync() => Task.FromResult<IRaftLogStore>(new MemoryStorage());

    protected override Task<IRaftLogStore> ReopenAsync() => Task.FromResult(Store);
}

public class LiteDbStorageContractTests : StorageContractTests
{
    private readonly TempDirectory _dir = new();
    private LiteDbWriteAheadLog? _wal;

    protected virtual long CacheBytes => 1024 * 1024;

    protected LiteDbWalOptions Options => new() { DataDirectory = _dir.Path, EntryCacheBytesPerPartition = CacheBytes, MaxChunkBytes = 4096 };

    protected override async Task<IRaftLogStore> CreateAsync()
    {
        _wal = await LiteDbWriteAheadLog.OpenAsync(Options);
        return await _wal.OpenPartitionAsync(42);
    }

    protected override async Task<IRaftLogStore> ReopenAsync()
    {
        await _wal!.DisposeAsync();
        _wal = await LiteDbWriteAheadLog.OpenAsync(Options);
        return await _wal.OpenPartitionAsync(42);
    }

    public override async Task DisposeAsync()
    {
        if (_wal is not null) await _wal.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The same contract with no entry cache, so every read goes through LiteDB.</summary>
public sealed class LiteDbUncachedStorageContractTests : LiteDbStorageContractTests
{
    protected override long CacheBytes => 0;
}
