using Lux.Raft.Tracking;

namespace Lux.Raft.Tests.Core;

/// <summary>Log compaction and snapshot transfer (thesis §5): a follower behind the leader's first index gets the snapshot.</summary>
public class SnapshotTests
{
    /// <summary>Leader 1 commits entries while 3 is cut off, then snapshots and compacts past what 3 has.</summary>
    private static Cluster LeaderCompactedPastFollower3()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Isolate(3);
        for (var i = 0; i < 20; i++) c.Propose(1, $"e{i}");
        c.Stabilize();
        c.SnapshotAndCompact(1);
        c.Heal();
        return c;
    }

    [Fact]
    public void A_follower_behind_the_first_index_receives_the_snapshot_and_continues_from_the_log()
    {
        var c = LeaderCompactedPastFollower3();
        var snapshotIndex = c.Storages[1].Snapshot.Index;

        c[1].Tick();                                     // a heartbeat; 3's answers show how far behind it is
        var snapshot = DeliverUntilSnapshotTo3(c);
        Assert.Equal(snapshotIndex, snapshot.Snapshot!.Index);
        Assert.Equal(ProgressState.Snapshot, c[1].Status().Progress![3].State);

        c.Deliver(snapshot);
        c.Stabilize();                                   // 3 installs it and acknowledges its index
        Assert.Equal(snapshotIndex, c.Storages[3].Snapshot.Index);
        Assert.Equal(ProgressState.Replicate, c[1].Status().Progress![3].State);

        c.Propose(1, "after");
        c.Stabilize();
        Assert.Contains("after", c.AppliedText(3));
        Assert.Equal(c.Storages[1].LastIndex, c.Storages[3].LastIndex);
    }

    [Fact]
    public void A_failed_snapshot_is_reported_and_sent_again()
    {
        var again = LeaderCompactedPastFollower3();
        again[1].Tick();
        DeliverUntilSnapshotTo3(again);                 // lost in transit

        again[1].ReportSnapshot(3, success: false);
        Assert.Equal(ProgressState.Probe, again[1].Status().Progress![3].State);
        again[1].Tick();
        var retry = DeliverUntilSnapshotTo3(again);
        Assert.Equal(ProgressState.Snapshot, again[1].Status().Progress![3].State);

        again.Deliver(retry);
        again.Stabilize();
        Assert.Equal(again.Storages[1].Snapshot.Index, again.Storages[3].Snapshot.Index);
        Assert.Equal(ProgressState.Replicate, again[1].Status().Progress![3].State);
    }

    /// <summary>Delivers messages until the leader emits a Snapshot for 3, and returns it undelivered.</summary>
    private static Message DeliverUntilSnapshotTo3(Cluster c)
    {
        for (var round = 0; round < 100; round++)
        {
            c.ProcessReadies();
            var snapshot = c.Pool.FirstOrDefault(m => m.Type == MessageType.Snapshot && m.To == 3);
            if (snapshot is not null)
            {
                c.Pool.Clear();
                return snapshot;
            }
            var batch = c.Pool.ToList();
            c.Pool.Clear();
            foreach (var m in batch) c.Deliver(m);
        }
        throw new Xunit.Sdk.XunitException("the leader never sent a snapshot to 3");
    }

    [Fact]
    public void A_stale_snapshot_is_not_installed_and_the_follower_reports_where_it_is()
    {
        var c = new Cluster(3);
        c.Elect(1);
        for (var i = 0; i < 10; i++) c.Propose(1, $"e{i}");
        c.Stabilize();
        var old = c.SnapshotAndCompact(1);
        for (var i = 0; i < 5; i++) c.Propose(1, $"f{i}");
        c.Stabilize();
        var committed = c[3].HardState.Commit;
        Assert.True(committed > old.Index);

        c[3].Step(new Message { Type = MessageType.Snapshot, From = 1, To = 3, Term = c[1].HardState.Term, Snapshot = old });
        c.ProcessReadies();

        Assert.Equal(0UL, c.Storages[3].Snapshot.Index);
        var answer = Assert.Single(c.Pool, m => m.From == 3 && m.Type == MessageType.AppendResponse);
        Assert.Equal(committed, answer.Index);
        Assert.Contains("f4", c.AppliedText(3));
    }
}
