using Xunit.Abstractions;

namespace Lux.Raft.Tests.Core;

/// <summary>Input that breaks the protocol is refused by its rules, never thrown out of Step, and never corrupts state.</summary>
public class BadInputTests(ITestOutputHelper output)
{
    private static Cluster Settled()
    {
        var c = new Cluster(3);
        c.Elect(1);
        c.Propose(1, "a");
        c.Propose(1, "b");
        c.Stabilize();
        return c;
    }

    [Fact]
    public void Messages_of_local_kinds_or_for_someone_else_are_refused()
    {
        var c = Settled();
        Assert.False(c[2].Step(new Message { Type = MessageType.Propose, From = 1, To = 2, Term = 1, Entries = [new Entry(0, 0, new byte[] { 1 })] }));
        Assert.False(c[2].Step(new Message { Type = MessageType.Hup, From = 1, To = 2, Term = 1 }));
        Assert.False(c[2].Step(new Message { Type = MessageType.Heartbeat, From = 1, To = 3, Term = 1 }));
        Assert.False(c[2].Step(new Message { Type = MessageType.Heartbeat, From = 0, To = 2, Term = 1 }));
        Assert.False(c[2].Step(new Message { Type = (MessageType)200, From = 1, To = 2, Term = 1 }));
        Assert.Equal(StateRole.Follower, c[2].SoftState.Role);
    }

    [Fact]
    public void A_response_from_an_unknown_replica_changes_nothing()
    {
        var c = Settled();
        var before = c[1].Status();
        c[1].Step(new Message { Type = MessageType.AppendResponse, From = 99, To = 1, Term = before.HardState.Term, Index = 1000 });
        c[1].Step(new Message { Type = MessageType.HeartbeatResponse, From = 99, To = 1, Term = before.HardState.Term });
        var after = c[1].Status();
        Assert.Equal(before.HardState, after.HardState);
        Assert.Equal(before.Progress.Keys.Order(), after.Progress.Keys.Order());
    }

    [Fact]
    public void A_stale_term_append_is_answered_with_the_current_term()
    {
        var c = Settled();
        var term = c[2].HardState.Term;
        var last = c.Storages[2].LastIndex;
        c[2].Step(new Message { Type = MessageType.Append, From = 3, To = 2, Term = term - 1 == 0 ? 0 : term - 1, Index = last, LogTerm = term, Entries = [new Entry(last + 1, 1, new byte[] { 9 })] });
        c.ProcessReadies();
        Assert.Equal(last, c.Storages[2].LastIndex);
    }

    [Fact]
    public void An_append_beyond_the_log_is_rejected_with_a_hint()
    {
        var c = Settled();
        var term = c[1].HardState.Term;
        var last = c.Storages[2].LastIndex;
        c[2].Step(new Message { Type = MessageType.Append, From = 1, To = 2, Term = term, Index = last + 50, LogTerm = term, Entries = [new Entry(last + 51, term, new byte[] { 1 })] });
        var rejection = c.Take(MessageType.AppendResponse).Single();
        Assert.True(rejection.Reject);
        Assert.Equal(last, rejection.RejectHint);
        Assert.Equal(last, c.Storages[2].LastIndex);
    }

    [Fact]
    public void An_entry_batch_that_does_not_connect_is_refused()
    {
        var c = Settled();
        var term = c[1].HardState.Term;
        var last = c.Storages[2].LastIndex;
        var gap = new Message
        {
            Type = MessageType.Append, From = 1, To = 2, Term = term, Index = last, LogTerm = term,
            Entries = [new Entry(last + 1, term, new byte[] { 1 }), new Entry(last + 3, term, new byte[] { 2 })],
        };
        c[2].Step(gap);
        c.ProcessReadies();
        Assert.Equal(last, c.Storages[2].LastIndex);
        var backwards = gap with { Entries = [new Entry(last + 1, term, new byte[] { 1 }), new Entry(last + 2, term - 1, new byte[] { 2 })] };
        c[2].Step(backwards);
        c.ProcessReadies();
        Assert.Equal(last, c.Storages[2].LastIndex);
    }

    [Fact]
    public void An_append_that_would_overwrite_committed_entries_is_refused()
    {
        var c = Settled();
        var term = c[1].HardState.Term;
        var committed = c[2].HardState.Commit;
        var applied = c.AppliedText(2).ToList();
        // A higher-term "leader" trying to replace committed entry 2.
        c[2].Step(new Message { Type = MessageType.Append, From = 3, To = 2, Term = term + 1, Index = 1, LogTerm = 1, Entries = [new Entry(2, term + 1, new byte[] { 7 })], Commit = 2 });
        c.ProcessReadies();
        Assert.Equal(committed, c[2].HardState.Commit);
        c.Storages[2].TryGetTerm(2, out var t);
        Assert.Equal(term, t);
        Assert.Equal(applied, c.AppliedText(2));
    }

    [Fact]
    public void Random_garbage_never_throws_and_never_breaks_agreement()
    {
        const int seed = 1234;
        output.WriteLine($"seed {seed}");
        var random = new DeterministicRandom(seed);
        var c = Settled();
        var types = Enum.GetValues<MessageType>();
        for (var i = 0; i < 20_000; i++)
        {
            var to = (ulong)random.Next(1, 4);
            var m = new Message
            {
                Type = types[random.Next(types.Length)],
                From = (ulong)random.Next(0, 6),
                To = random.Chance(0.9) ? to : 7,
                Term = (ulong)random.Next(0, 4),
                Index = (ulong)random.Next(0, 30),
                LogTerm = (ulong)random.Next(0, 4),
                Commit = (ulong)random.Next(0, 30),
                Reject = random.Chance(0.3),
                RejectHint = (ulong)random.Next(0, 30),
                Entries = random.Chance(0.3) ? [new Entry((ulong)random.Next(0, 30), (ulong)random.Next(0, 4), new byte[] { 1 })] : [],
                Context = random.Chance(0.2) ? new byte[] { (byte)random.Next(256) } : default,
            };
            c[to].Step(m);
            if (i % 50 == 0) c.Stabilize();
        }
        c.Heal();
        c.TickAll(40);
        // Whatever happened, the replicas agree on every index they all applied.
        var applied = c.Ids.Select(id => c.Applied[id]).ToList();
        var common = applied.Min(a => a.Count);
        for (var i = 0; i < common; i++)
        {
            Assert.All(applied, a => Assert.Equal(applied[0][i].Index, a[i].Index));
            Assert.All(applied, a => Assert.Equal(applied[0][i].Term, a[i].Term));
        }
    }
}
