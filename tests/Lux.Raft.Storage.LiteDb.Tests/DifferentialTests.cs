using Lux.Raft.Storage;
using Xunit.Abstractions;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// Random sequences of appends, conflicting rewrites, compactions, recorded and installed snapshots applied to the LiteDB store and to
/// <see cref="MemoryStorage"/> side by side; after every step (and after reopening from disk now and then) everything
/// the storage contract lets a reader observe must be identical, including the exceptions.
/// </summary>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0L)]
    [InlineData(2048L)]
    public async Task The_liteDb_store_behaves_exactly_like_memory_storage(long cacheBytes)
    {
        var seed = TestSeed.Next();
        output.WriteLine($"seed {seed} (set LUX_TEST_SEED to replay)");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var options = new LiteDbWalOptions { DataDirectory = dir.Path, EntryCacheBytesPerPartition = cacheBytes, MaxChunkBytes = 4096, CheckpointBytes = 256 * 1024 };
        var wal = await LiteDbWriteAheadLog.OpenAsync(options);
        try
        {
            var actual = await wal.OpenPartitionAsync(3);
            var model = new MemoryStorage();
            ulong term = 1;
            for (var step = 0; step < 400; step++)
            {
                var roll = random.Next(100);
                var last = model.LastIndex;
                var first = model.FirstIndex;
                string what;
                if (roll < 55)
                {
                    var from = roll < 40 || last < first ? last + 1 : first + (ulong)random.Next((int)(last - first + 1));
                    if (random.Next(20) == 0) from = last + 2; // a gap: both must refuse it
                    if (random.Next(20) == 0 && first > 3) from = first - 2; // partly compacted already
                    if (from <= last) term++;
                    var entries = Entries.Make(Math.Max(from, 1), 1 + random.Next(random.Next(2) == 0 ? 3 : 30), term, size: random.Next(200), partition: 3);
                    var hs = random.Next(3) == 0 ? new HardState(term, (ulong)random.Next(3), (ulong)random.Next((int)last + 1)) : (HardState?)null;
                    what = $"save {entries[0].Index}+{entries.Length}@{term}";
                    await Same(() => model.SaveAsync(hs, entries), () => actual.SaveAsync(hs, entries));
                }
                else if (roll < 70)
                {
                    var index = first + (ulong)random.Next((int)Math.Max(1, last - first + 3)) - 1;
                    what = $"compact {index}";
                    await Same(() => model.CompactAsync(index), () => actual.CompactAsync(index));
                }
                else if (roll < 78)
                {
                    // The host's own snapshot: usually of an entry the log holds, now and then of a wrong term or a
                    // missing index (both refused) or an older point (ignored).
                    var index = (ulong)Math.Max(0, (long)first - 3 + random.Next((int)(last - first + 6)));
                    model.TryGetTerm(index, out var t);
                    if (random.Next(6) == 0) t = term + 1;
                    var snapshot = new SnapshotMetadata(index, t, ConfState.OfVoters((ulong)random.Next(1, 4)));
                    what = $"record snapshot {index}@{t}";
                    await Same(() => model.RecordSnapshotAsync(snapshot), () => actual.RecordSnapshotAsync(snapshot));
                }
                else if (roll < 85)
                {
                    var index = (ulong)Math.Max(0, (long)first - 3 + random.Next((int)(last - first + 8)));
                    model.TryGetTerm(index, out var t);
                    if (random.Next(3) == 0) t = term + 1;
                    var snapshot = new SnapshotMetadata(index, t, ConfState.OfVoters((ulong)random.Next(1, 4)));
                    what = $"snapshot {index}@{t}";
                    await Same(() => model.ApplySnapshotAsync(snapshot), () => actual.ApplySnapshotAsync(snapshot));
                    term = Math.Max(term, t);
                }
                else if (roll < 95)
                {
                    var hs = new HardState(term, 1, (ulong)random.Next((int)last + 1));
                    what = "hard state";
                    await Same(() => model.SaveAsync(hs, ReadOnlyMemory<Entry>.Empty), () => actual.SaveAsync(hs, ReadOnlyMemory<Entry>.Empty));
                }
                else
                {
                    what = "reopen";
                    await wal.DisposeAsync();
                    wal = await LiteDbWriteAheadLog.OpenAsync(options);
                    actual = await wal.OpenPartitionAsync(3);
                }
                AssertSame(model, actual, $"seed {seed} step {step} ({what})", random);
            }
        }
        finally
        {
            await wal.DisposeAsync();
        }
    }

    private static async Task Same(Func<ValueTask> expected, Func<ValueTask> actual)
    {
        Exception? e = null, a = null;
        try { await expected(); } catch (Exception ex) { e = ex; }
        try { await actual(); } catch (Exception ex) { a = ex; }
        Assert.Equal(e?.GetType(), a?.GetType());
    }

    private static void AssertSame(MemoryStorage model, IRaftLogStore actual, string where, Random random)
    {
        Assert.True(model.FirstIndex == actual.FirstIndex, $"{where}: first index {actual.FirstIndex}, expected {model.FirstIndex}");
        Assert.True(model.LastIndex == actual.LastIndex, $"{where}: last index {actual.LastIndex}, expected {model.LastIndex}");
        Assert.True(model.InitialState().HardState == actual.InitialState().HardState, $"{where}: hard state");
        Assert.True(model.InitialState().ConfState.Equals(actual.InitialState().ConfState), $"{where}: conf state");
        Assert.True(Equals(model.Snapshot, actual.Snapshot), $"{where}: snapshot {actual.Snapshot} expected {model.Snapshot}");
        var lo = model.FirstIndex > 2 ? model.FirstIndex - 2 : 0;
        for (var i = lo; i <= model.LastIndex + 2; i++)
        {
            var es = model.TryGetTerm(i, out var et);
            var @as = actual.TryGetTerm(i, out var at);
            Assert.True(es == @as && et == at, $"{where}: term at {i}: {@as}/{at}, expected {es}/{et}");
        }
        for (var k = 0; k < 3; k++)
        {
            var low = lo + (ulong)random.Next((int)(model.LastIndex - lo + 3));
            var high = low + (ulong)random.Next(40);
            long maxBytes = random.Next(3) == 0 ? RaftConstants.NoLimit : random.Next(2000);
            var e = new List<Entry>();
            var a = new List<Entry>();
            var es = model.GetEntries(low, high, maxBytes, e);
            var @as = actual.GetEntries(low, high, maxBytes, a);
            Assert.True(es == @as, $"{where}: GetEntries({low}, {high}, {maxBytes}) status {@as}, expected {es}");
            Assert.True(e.Count == a.Count, $"{where}: GetEntries({low}, {high}, {maxBytes}) returned {a.Count} entries, expected {e.Count}");
            for (var i = 0; i < e.Count; i++)
            {
                Assert.True(e[i].Index == a[i].Index && e[i].Term == a[i].Term && e[i].Type == a[i].Type && e[i].Data.Span.SequenceEqual(a[i].Data.Span),
                    $"{where}: entry {e[i].Index} differs");
            }
        }
    }
}
