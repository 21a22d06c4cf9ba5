namespace Lux.Raft.Transport.Tests.Support;

/// <summary>Builds Raft messages for tests: every field set, or random ones from a seeded generator.</summary>
public static class Messages
{
    public static readonly MessageType[] WireTypes = Enum.GetValues<MessageType>().Where(t => !t.IsLocal()).ToArray();

    public static Message Full(MessageType type) => new()
    {
        Type = type, To = 2, From = 1, Term = 7, LogTerm = 6, Index = 100, Commit = 99, Reject = true, RejectHint = 42,
        LeaderTransfer = true,
        Entries = [new Entry(101, 7, "abc"u8.ToArray()), new Entry(102, 7, EntryType.ConfChange, new byte[] { 1, 2, 3, 4 }), new Entry(103, 7, ReadOnlyMemory<byte>.Empty)],
        Snapshot = new SnapshotMetadata(90, 5, new ConfState
        {
            Voters = [1, 2, 3], Learners = [4], VotersOutgoing = [1, 2, 5], LearnersNext = [5], AutoLeave = true,
        }),
        Context = "read-ctx"u8.ToArray(),
    };

    public static Message Append(ulong index, int entries = 1, int valueBytes = 16) => new()
    {
        Type = MessageType.Append, To = 2, From = 1, Term = 3, LogTerm = 3, Index = index, Commit = index,
        Entries = Enumerable.Range(1, entries).Select(i => new Entry(index + (ulong)i, 3, new byte[valueBytes])).ToArray(),
    };

    public static Message Heartbeat(ulong commit) => new() { Type = MessageType.Heartbeat, To = 2, From = 1, Term = 3, Commit = commit };

    public static Message Random(Random rng)
    {
        var message = new Message
        {
            Type = WireTypes[rng.Next(WireTypes.Length)],
            To = Number(rng), From = Number(rng), Term = Number(rng), LogTerm = Number(rng), Index = Number(rng), Commit = Number(rng),
            RejectHint = Number(rng), Reject = rng.Next(2) == 0, LeaderTransfer = rng.Next(4) == 0,
            Entries = rng.Next(3) == 0 ? [] : Enumerable.Range(0, rng.Next(1, 6)).Select(_ => RandomEntry(rng)).ToArray(),
            Snapshot = rng.Next(3) switch
            {
                0 => null,
                1 => SnapshotMetadata.Empty,
                _ => new SnapshotMetadata(Number(rng), Number(rng), new ConfState
                {
                    Voters = Ids(rng), Learners = Ids(rng), VotersOutgoing = Ids(rng), LearnersNext = Ids(rng), AutoLeave = rng.Next(2) == 0,
                }),
            },
            Context = rng.Next(3) == 0 ? Bytes(rng, rng.Next(0, 40)) : ReadOnlyMemory<byte>.Empty,
        };
        return message;
    }

    private static Entry RandomEntry(Random rng) =>
        new(Number(rng), Number(rng), rng.Next(2) == 0 ? EntryType.Normal : EntryType.ConfChange, Bytes(rng, rng.Next(0, 100)));

    private static ulong[] Ids(Random rng) => Enumerable.Range(0, rng.Next(0, 5)).Select(_ => Number(rng)).ToArray();

    private static byte[] Bytes(Random rng, int n)
    {
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Numbers of every magnitude: zero, small, varint boundaries, and the extremes.</summary>
    public static ulong Number(Random rng) => rng.Next(6) switch
    {
        0 => 0,
        1 => (ulong)rng.Next(1, 128),
        2 => (ulong)rng.Next(128, 1 << 21),
        3 => (ulong)rng.NextInt64(),
        4 => ulong.MaxValue - (ulong)rng.Next(0, 3),
        _ => 1UL << rng.Next(0, 64),
    };

    /// <summary>Asserts two messages carry the same value in every field.</summary>
    public static void AssertSame(Message expected, Message actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.To, actual.To);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.Term, actual.Term);
        Assert.Equal(expected.LogTerm, actual.LogTerm);
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Commit, actual.Commit);
        Assert.Equal(expected.Reject, actual.Reject);
        Assert.Equal(expected.RejectHint, actual.RejectHint);
        Assert.Equal(expected.LeaderTransfer, actual.LeaderTransfer);
        Assert.Equal(expected.Entries.Length, actual.Entries.Length);
        for (var i = 0; i < expected.Entries.Length; i++)
        {
            Assert.Equal(expected.Entries[i].Index, actual.Entries[i].Index);
            Assert.Equal(expected.Entries[i].Term, actual.Entries[i].Term);
            Assert.Equal(expected.Entries[i].Type, actual.Entries[i].Type);
            Assert.True(expected.Entries[i].Data.Span.SequenceEqual(actual.Entries[i].Data.Span), $"entry {i} data differs");
        }
        Assert.Equal(expected.Snapshot is null, actual.Snapshot is null);
        if (expected.Snapshot is { } s)
        {
            var a = actual.Snapshot!;
            Assert.Equal(s.Index, a.Index);
            Assert.Equal(s.Term, a.Term);
            Assert.Equal(s.ConfState.Voters, a.ConfState.Voters);
            Assert.Equal(s.ConfState.Learners, a.ConfState.Learners);
            Assert.Equal(s.ConfState.VotersOutgoing, a.ConfState.VotersOutgoing);
            Assert.Equal(s.ConfState.LearnersNext, a.ConfState.LearnersNext);
            Assert.Equal(s.ConfState.AutoLeave, a.ConfState.AutoLeave);
        }
        Assert.True(expected.Context.Span.SequenceEqual(actual.Context.Span), "context differs");
    }
}
