using Lux.Orleans.Grains;
using Lux.Orleans.Replication;
using Xunit;

namespace Lux.Orleans.Tests;

/// <summary>
/// The router's batching of proposals, driven by a fake replica whose calls complete when the test says. The fake
/// completes calls with synchronous continuations, so the batcher runs on the test's thread, one step at a time, as it
/// does on the router's activation.
/// </summary>
public sealed class ProposalBatcherTests
{
    private sealed class FakeReplica
    {
        public List<(string Target, byte[][] Entries, TaskCompletionSource<ReplicaReply[]> Reply)> Calls { get; } = [];

        public Task<ReplicaReply[]> SendAsync(string target, byte[][] entries)
        {
            var reply = new TaskCompletionSource<ReplicaReply[]>();
            Calls.Add((target, entries, reply));
            return reply.Task;
        }

        /// <summary>Answers call <paramref name="call"/> with each entry's first byte as its payload.</summary>
        public void Answer(int call) =>
            Calls[call].Reply.SetResult(Calls[call].Entries.Select(e => ReplicaReply.Ok([e[0]])).ToArray());
    }

    private static byte[] Entry(byte id) => [id, 0xEE];

    [Fact]
    public async Task A_lone_proposal_leaves_at_once_in_a_batch_of_one()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, Timeout.InfiniteTimeSpan);

        var reply = batcher.ProposeAsync("silo1", Entry(7));

        var call = Assert.Single(replica.Calls);
        Assert.Equal("silo1", call.Target);
        Assert.Single(call.Entries);
        replica.Answer(0);
        Assert.Equal([7], (await reply).Payload);
    }

    [Fact]
    public async Task Proposals_behind_full_lanes_leave_together_and_each_caller_gets_its_own_reply()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, Timeout.InfiniteTimeSpan);
        var first = Enumerable.Range(0, ProposalBatcher.MaxCallsInFlight).Select(i => batcher.ProposeAsync("silo1", Entry((byte)i))).ToArray();
        Assert.Equal(ProposalBatcher.MaxCallsInFlight, replica.Calls.Count);

        var queued = Enumerable.Range(100, 50).Select(i => batcher.ProposeAsync("silo1", Entry((byte)i))).ToArray();
        Assert.Equal(ProposalBatcher.MaxCallsInFlight, replica.Calls.Count);

        replica.Answer(0);
        Assert.Equal([0], (await first[0]).Payload);
        Assert.Equal(ProposalBatcher.MaxCallsInFlight + 1, replica.Calls.Count);
        var batch = replica.Calls[^1];
        Assert.Equal(Enumerable.Range(100, 50).Select(i => (byte)i), batch.Entries.Select(e => e[0]));

        replica.Answer(replica.Calls.Count - 1);
        for (var i = 0; i < queued.Length; i++) Assert.Equal([(byte)(100 + i)], (await queued[i]).Payload!);
        Assert.False(first[1].IsCompleted);
    }

    [Fact]
    public async Task Lanes_are_per_replica()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, Timeout.InfiniteTimeSpan);
        for (var i = 0; i < ProposalBatcher.MaxCallsInFlight; i++) _ = batcher.ProposeAsync("silo1", Entry(1));

        var other = batcher.ProposeAsync("silo2", Entry(2));

        Assert.Equal("silo2", replica.Calls[^1].Target);
        replica.Answer(replica.Calls.Count - 1);
        Assert.Equal([2], (await other).Payload);
    }

    [Fact]
    public async Task A_failed_call_fails_every_proposal_it_carried_and_the_lane_keeps_working()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, Timeout.InfiniteTimeSpan);
        for (var i = 0; i < ProposalBatcher.MaxCallsInFlight; i++) _ = batcher.ProposeAsync("silo1", Entry(1));
        var queued = Enumerable.Range(0, 3).Select(i => batcher.ProposeAsync("silo1", Entry((byte)i))).ToArray();
        replica.Answer(0);
        Assert.Equal(ProposalBatcher.MaxCallsInFlight + 1, replica.Calls.Count);

        replica.Calls[^1].Reply.SetException(new TimeoutException("silo gone"));

        foreach (var proposal in queued) await Assert.ThrowsAsync<TimeoutException>(() => proposal);
        var later = batcher.ProposeAsync("silo1", Entry(9));
        Assert.Equal(ProposalBatcher.MaxCallsInFlight + 2, replica.Calls.Count);
        replica.Answer(replica.Calls.Count - 1);
        Assert.Equal([9], (await later).Payload);
    }

    [Fact]
    public async Task A_call_that_outlives_its_limit_fails_every_proposal_it_carried_with_a_timeout()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, TimeSpan.FromMilliseconds(50));

        var proposal = batcher.ProposeAsync("silo1", Entry(1));

        await Assert.ThrowsAsync<TimeoutException>(() => proposal);
        var later = batcher.ProposeAsync("silo1", Entry(2));
        replica.Answer(replica.Calls.Count - 1);
        Assert.Equal([2], (await later).Payload!);
    }

    [Fact]
    public void A_batch_stops_at_the_entry_limit()
    {
        var replica = new FakeReplica();
        var batcher = new ProposalBatcher(replica.SendAsync, Timeout.InfiniteTimeSpan);
        for (var i = 0; i < ProposalBatcher.MaxCallsInFlight; i++) _ = batcher.ProposeAsync("silo1", Entry(1));
        for (var i = 0; i < ProposalBatcher.MaxBatchEntries + 5; i++) _ = batcher.ProposeAsync("silo1", Entry(2));

        replica.Answer(0);
        replica.Answer(1);

        var expected = Enumerable.Repeat(1, ProposalBatcher.MaxCallsInFlight).Concat([ProposalBatcher.MaxBatchEntries, 5]);
        Assert.Equal(expected, replica.Calls.Select(c => c.Entries.Length));
    }
}
