using System.Text;
using Lux.Raft.Sessions;

namespace Lux.Raft.Tests.Sessions;

/// <summary>Exactly-once application (thesis §6.3): retries answered from the session table, expiry by the log's clock, snapshots.</summary>
public class SessionStateMachineTests
{
    private readonly CountingStateMachine _inner = new();
    private readonly SessionStateMachine _machine;
    private ulong _index;

    public SessionStateMachineTests() => _machine = new SessionStateMachine(_inner, new SessionOptions
    {
        SessionTimeout = TimeSpan.FromSeconds(10),
        MaxSessions = 3,
        MaxResultsPerSession = 4,
    });

    private SessionResult Commit(byte[] entry) => SessionResult.Decode(_machine.Apply(++_index, entry));

    private ulong Register(long now = 0) => Commit(SessionCommand.Register(now)).SessionId;

    private static byte[] Put(ClientSession session, ulong sequence, string command, long now = 0) =>
        session.Encode(sequence, now, Encoding.UTF8.GetBytes(command));

    [Fact]
    public void A_registration_returns_its_own_log_index_as_the_session_id()
    {
        var first = Register();
        var second = Register();
        Assert.Equal(1UL, first);
        Assert.Equal(2UL, second);
        Assert.True(_machine.HasSession(first));
    }

    [Fact]
    public void A_retried_command_is_applied_once_and_answered_with_the_first_result()
    {
        var session = new ClientSession(Register());
        var sequence = session.NextSequence();
        var entry = Put(session, sequence, "x=1");

        var first = Commit(entry);
        var retry = Commit(Put(session, sequence, "x=1"));

        Assert.Equal(SessionResultStatus.Ok, first.Status);
        Assert.Equal(first.Payload.ToArray(), retry.Payload.ToArray());
        Assert.Equal(1, _inner.Applications["x=1"]);
        Assert.Equal("2:", Encoding.UTF8.GetString(first.Payload.Span));
    }

    [Fact]
    public void Commands_of_one_session_may_commit_out_of_order_and_each_is_applied_once()
    {
        var session = new ClientSession(Register());
        var one = session.NextSequence();
        var two = session.NextSequence();
        var entryTwo = Put(session, two, "b=2");
        var entryOne = Put(session, one, "a=1");

        Commit(entryTwo);
        Commit(entryOne);
        Commit(entryTwo);
        Commit(entryOne);

        Assert.Equal(1, _inner.Applications["a=1"]);
        Assert.Equal(1, _inner.Applications["b=2"]);
    }

    [Fact]
    public void Acknowledged_results_are_forgotten_and_a_late_duplicate_of_one_is_not_applied()
    {
        var session = new ClientSession(Register());
        var one = session.NextSequence();
        var staleRetry = Put(session, one, "a=1");
        Commit(staleRetry);
        session.Complete(one);
        var two = session.NextSequence();
        Commit(Put(session, two, "b=2"));

        var late = Commit(staleRetry);

        Assert.Equal(SessionResultStatus.Stale, late.Status);
        Assert.Equal(1, _inner.Applications["a=1"]);
    }

    [Fact]
    public void A_command_of_an_unknown_session_is_not_applied()
    {
        var result = Commit(SessionCommand.Command(sessionId: 42, sequence: 1, lowestUnacknowledged: 1, timestampMs: 0, "a=1"u8));
        Assert.Equal(SessionResultStatus.SessionExpired, result.Status);
        Assert.Equal(0, _inner.ApplyCount);
    }

    [Fact]
    public void Sessions_expire_by_the_log_clock_not_the_replica_clock()
    {
        var idle = new ClientSession(Register(now: 1_000));
        var busy = new ClientSession(Register(now: 1_000));
        Commit(Put(busy, busy.NextSequence(), "a=1", now: 8_000));
        Commit(Put(busy, busy.NextSequence(), "a=2", now: 12_000));

        Assert.False(_machine.HasSession(idle.SessionId));
        Assert.True(_machine.HasSession(busy.SessionId));
        Assert.Equal(SessionResultStatus.SessionExpired, Commit(Put(idle, idle.NextSequence(), "b=1", now: 12_000)).Status);
    }

    [Fact]
    public void A_proposer_clock_that_goes_back_does_not_move_the_log_clock_back()
    {
        Register(now: 5_000);
        Register(now: 1_000);
        Assert.Equal(5_000, _machine.ClockMs);
    }

    [Fact]
    public void The_least_recently_active_session_is_evicted_when_the_table_is_full()
    {
        var a = new ClientSession(Register(now: 1));
        var b = new ClientSession(Register(now: 2));
        var c = new ClientSession(Register(now: 3));
        Commit(Put(a, a.NextSequence(), "k=a", now: 4));
        var d = Register(now: 5);

        Assert.False(_machine.HasSession(b.SessionId));
        Assert.True(_machine.HasSession(a.SessionId));
        Assert.True(_machine.HasSession(c.SessionId));
        Assert.True(_machine.HasSession(d));
        Assert.Equal(3, _machine.SessionCount);
    }

    [Fact]
    public void Results_past_the_per_session_bound_are_forgotten_and_their_retries_reported_stale()
    {
        var session = new ClientSession(Register());
        var sequences = Enumerable.Range(0, 6).Select(_ => session.NextSequence()).ToList();
        var entries = sequences.Select(s => Put(session, s, $"k={s}")).ToList();
        foreach (var entry in entries) Commit(entry);

        Assert.Equal(SessionResultStatus.Stale, Commit(entries[0]).Status);
        Assert.Equal(SessionResultStatus.Ok, Commit(entries[5]).Status);
        Assert.Equal(6, _inner.ApplyCount);
    }

    [Fact]
    public void A_refused_command_reports_its_reason_and_its_retry_gets_the_same_refusal()
    {
        var session = new ClientSession(Register());
        var sequence = session.NextSequence();
        var result = Commit(Put(session, sequence, "!no such account"));
        var retry = Commit(Put(session, sequence, "!no such account"));

        Assert.Equal(SessionResultStatus.Rejected, result.Status);
        Assert.Equal("no such account", result.RejectionReason);
        Assert.Equal(SessionResultStatus.Rejected, retry.Status);
        Assert.Empty(_inner.State);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 9, 2 })]
    [InlineData(new byte[] { SessionCommand.Version, 2, 1, 2, 3 })]
    [InlineData(new byte[] { SessionCommand.Version, 77, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Malformed_entries_are_reported_and_apply_nothing(byte[] entry)
    {
        Assert.Equal(SessionResultStatus.Malformed, Commit(entry).Status);
        Assert.Equal(0, _inner.ApplyCount);
    }

    [Fact]
    public void Unsessioned_commands_are_applied_every_time_they_commit()
    {
        var entry = SessionCommand.Unsessioned(0, "a=1"u8);
        Commit(entry);
        Commit(entry);
        Assert.Equal(2, _inner.Applications["a=1"]);
    }

    [Fact]
    public async Task A_snapshot_carries_the_session_table_so_a_restored_replica_still_deduplicates()
    {
        var session = new ClientSession(Register(now: 100));
        var sequence = session.NextSequence();
        var entry = Put(session, sequence, "x=1", now: 200);
        var original = Commit(entry);

        using var snapshot = new MemoryStream();
        await _machine.SnapshotAsync(snapshot);
        snapshot.Position = 0;
        var restoredInner = new CountingStateMachine();
        var restored = new SessionStateMachine(restoredInner, new SessionOptions { SessionTimeout = TimeSpan.FromSeconds(10) });
        await restored.RestoreAsync(snapshot);

        var retry = SessionResult.Decode(restored.Apply(10, entry));
        Assert.Equal(original.Payload.ToArray(), retry.Payload.ToArray());
        Assert.Equal(0, restoredInner.ApplyCount);
        Assert.Equal("1", restoredInner.State["x"]);
        Assert.Equal(200, restored.ClockMs);
    }

    [Fact]
    public async Task A_damaged_snapshot_is_refused_with_a_clear_error()
    {
        Register();
        using var snapshot = new MemoryStream();
        await _machine.SnapshotAsync(snapshot);
        var truncated = snapshot.ToArray()[..10];
        var badMagic = snapshot.ToArray();
        badMagic[0] ^= 0xFF;

        var target = new SessionStateMachine(new CountingStateMachine());
        await Assert.ThrowsAsync<InvalidDataException>(async () => await target.RestoreAsync(new MemoryStream(truncated)));
        await Assert.ThrowsAsync<InvalidDataException>(async () => await target.RestoreAsync(new MemoryStream(badMagic)));
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SessionStateMachine(new CountingStateMachine(), new SessionOptions { MaxSessions = 0 }));
        Assert.Throws<ArgumentException>(() => new SessionStateMachine(new CountingStateMachine(), new SessionOptions { SessionTimeout = TimeSpan.Zero }));
    }
}
