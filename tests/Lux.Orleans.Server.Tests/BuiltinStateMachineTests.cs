using Lux.Orleans.Builtins.KeyValue;
using Lux.Orleans.Builtins.Log;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Server.Tests;

/// <summary>The built-in state machines: what they apply, answer, refuse, and that a snapshot restores the same state.</summary>
public sealed class BuiltinStateMachineTests
{
    [Fact]
    public void Key_value_put_delete_and_compare_and_set_return_the_previous_value_and_version()
    {
        var kv = new KeyValueStateMachine();

        Assert.Null(kv.Apply(1, new KeyValuePut { Key = "a", Value = "1" }).Value);
        var second = kv.Apply(2, new KeyValuePut { Key = "a", Value = "2" });
        Assert.Equal(("1", 1UL), (second.Value, second.Version));
        Assert.Equal("2", kv.Apply(3, new KeyValueCompareAndSet { Key = "a", Expected = "2", Value = "3" }).Value);
        Assert.Null(kv.Apply(4, new KeyValueCompareAndSet { Key = "b", Expected = null, Value = "x" }).Value);
        Assert.Equal(("3", 3UL, 2), (kv.Query(new KeyValueGet { Key = "a" }).Value, kv.Query(new KeyValueGet { Key = "a" }).Version, kv.Count));
        Assert.Equal("x", kv.Apply(5, new KeyValueDelete { Key = "b" }).Value);
        Assert.Equal(1, kv.Query(new KeyValueGet()).Count);
        Assert.Null(kv.Query(new KeyValueGet { Key = "b" }).Value);
    }

    [Fact]
    public void Key_value_compare_and_set_with_a_wrong_expectation_is_refused_and_changes_nothing()
    {
        var kv = new KeyValueStateMachine();
        kv.Apply(1, new KeyValuePut { Key = "a", Value = "1" });

        var error = Assert.Throws<CommandRejectedException>(() => kv.Apply(2, new KeyValueCompareAndSet { Key = "a", Expected = "0", Value = "2" }));
        Assert.Throws<CommandRejectedException>(() => kv.Apply(3, new KeyValueCompareAndSet { Key = "a", Expected = null, Value = "2" }));

        Assert.Contains("holds '1', not '0'", error.Message, StringComparison.Ordinal);
        Assert.Equal(("1", 1UL), (kv.Query(new KeyValueGet { Key = "a" }).Value, kv.Query(new KeyValueGet { Key = "a" }).Version));
    }

    [Fact]
    public async Task Key_value_snapshot_restores_every_key_value_and_version()
    {
        var kv = new KeyValueStateMachine();
        for (var i = 0; i < 1000; i++) kv.Apply((ulong)i + 1, new KeyValuePut { Key = $"k{i % 700}", Value = $"v{i}" });
        using var snapshot = new MemoryStream();
        await kv.WriteSnapshotAsync(snapshot, CancellationToken.None);

        var restored = new KeyValueStateMachine();
        restored.Apply(1, new KeyValuePut { Key = "stale", Value = "gone after restore" });
        snapshot.Position = 0;
        await restored.ReadSnapshotAsync(snapshot, CancellationToken.None);

        Assert.Equal(700, restored.Count);
        for (var k = 0; k < 700; k++)
        {
            Assert.Equal(kv.Query(new KeyValueGet { Key = $"k{k}" }), restored.Query(new KeyValueGet { Key = $"k{k}" }));
        }
        Assert.Null(restored.Query(new KeyValueGet { Key = "stale" }).Value);
    }

    [Fact]
    public void Log_appends_get_consecutive_offsets_and_reads_return_ranges()
    {
        var log = new AppendOnlyLogStateMachine();

        var offsets = Enumerable.Range(0, 5).Select(i => log.Apply((ulong)i + 10, new LogAppend { Record = [(byte)i] }).Offset).ToArray();
        var range = log.Query(new LogRead { Offset = 1, MaxCount = 3 });
        var tail = log.Query(new LogRead { Offset = 4, MaxCount = 100 });
        var past = log.Query(new LogRead { Offset = 9 });
        var length = log.Query(new LogRead { MaxCount = 0 });

        Assert.Equal([0L, 1, 2, 3, 4], offsets);
        Assert.Equal([[1], [2], [3]], range.Records);
        Assert.Equal((4L, 1), (tail.Offset, tail.Records.Count));
        Assert.Empty(past.Records);
        Assert.Equal((5L, 0), (length.Length, length.Records.Count));
    }

    [Fact]
    public void Log_refuses_oversized_and_null_records_without_using_an_offset()
    {
        var log = new AppendOnlyLogStateMachine();

        Assert.Throws<CommandRejectedException>(() => log.Apply(1, new LogAppend { Record = new byte[AppendOnlyLogStateMachine.MaxRecordBytes + 1] }));
        Assert.Throws<CommandRejectedException>(() => log.Apply(2, new LogAppend { Record = null! }));

        Assert.Equal(0, log.Apply(3, new LogAppend { Record = [7] }).Offset);
    }

    [Fact]
    public async Task Log_snapshot_round_trip_restores_every_record_in_order()
    {
        var log = new AppendOnlyLogStateMachine();
        var random = new Random(42);
        var records = Enumerable.Range(0, 300).Select(i => { var r = new byte[random.Next(0, 600)]; random.NextBytes(r); return r; }).ToArray();
        foreach (var (record, i) in records.Select((r, i) => (r, i))) log.Apply((ulong)i + 1, new LogAppend { Record = record });
        using var snapshot = new MemoryStream();
        await log.WriteSnapshotAsync(snapshot, CancellationToken.None);

        var restored = new AppendOnlyLogStateMachine();
        restored.Apply(1, new LogAppend { Record = [9, 9, 9] });
        snapshot.Position = 0;
        await restored.ReadSnapshotAsync(snapshot, CancellationToken.None);

        Assert.Equal(300, restored.Length);
        for (var offset = 0; offset < 300; offset += AppendOnlyLogStateMachine.MaxReadCount)
        {
            var read = restored.Query(new LogRead { Offset = offset, MaxCount = 300 });
            Assert.Equal(records.Skip(offset).Take(300), read.Records);
        }
        Assert.Equal(300, restored.Apply(1000, new LogAppend { Record = [1] }).Offset);
    }

    [Fact]
    public async Task A_truncated_log_snapshot_is_refused()
    {
        var log = new AppendOnlyLogStateMachine();
        log.Apply(1, new LogAppend { Record = new byte[100] });
        using var snapshot = new MemoryStream();
        await log.WriteSnapshotAsync(snapshot, CancellationToken.None);

        using var truncated = new MemoryStream(snapshot.ToArray()[..50]);

        await Assert.ThrowsAsync<EndOfStreamException>(async () => await new AppendOnlyLogStateMachine().ReadSnapshotAsync(truncated, CancellationToken.None));
    }
}
