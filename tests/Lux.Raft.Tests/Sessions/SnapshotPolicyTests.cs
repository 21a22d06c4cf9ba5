using Lux.Raft.StateMachine;

namespace Lux.Raft.Tests.Sessions;

/// <summary>When a replica snapshots and how far it compacts.</summary>
public class SnapshotPolicyTests
{
    private readonly SnapshotPolicy _policy = new() { MaxLogEntries = 100, MaxLogBytes = 1_000, RetainedEntries = 10 };

    [Theory]
    [InlineData(99UL, 0UL, 0L, false)]
    [InlineData(100UL, 0UL, 0L, true)]
    [InlineData(150UL, 100UL, 999L, false)]
    [InlineData(150UL, 100UL, 1_000L, true)]
    [InlineData(100UL, 100UL, 5_000L, false)]
    public void A_snapshot_is_due_when_the_log_passes_either_limit(ulong applied, ulong snapshot, long bytes, bool due) =>
        Assert.Equal(due, _policy.ShouldSnapshot(applied, snapshot, bytes));

    [Fact]
    public void Compaction_keeps_the_retained_entries_below_the_snapshot()
    {
        Assert.Equal(90UL, _policy.CompactIndex(100));
        Assert.Equal(0UL, _policy.CompactIndex(5));
    }

    [Fact]
    public void Zero_limits_are_reported() =>
        Assert.Equal(2, new SnapshotPolicy { MaxLogEntries = 0, MaxLogBytes = 0 }.Validate().Count);
}
