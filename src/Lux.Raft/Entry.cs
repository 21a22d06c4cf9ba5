namespace Lux.Raft;

/// <summary>The kind of a log entry.</summary>
public enum EntryType : byte
{
    /// <summary>An application command. An entry with empty data is the leader's no-op (Raft §8) and is not given to the state machine.</summary>
    Normal = 0,

    /// <summary>A membership change, its data encoded by the membership-change codec.</summary>
    ConfChange = 1,
}

/// <summary>One entry of the replicated log.</summary>
/// <param name="Index">Position in the log, starting at 1.</param>
/// <param name="Term">Term of the leader that created the entry.</param>
/// <param name="Type">What the entry carries.</param>
/// <param name="Data">The payload; never mutated once the entry exists.</param>
public readonly record struct Entry(ulong Index, ulong Term, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Creates a normal entry.</summary>
    public Entry(ulong index, ulong term, ReadOnlyMemory<byte> data) : this(index, term, EntryType.Normal, data) { }

    /// <summary>Bytes this entry counts for in size limits (payload plus a fixed header allowance).</summary>
    public int Size => Data.Length + EntryHeaderSize;

    /// <summary>Fixed per-entry allowance used by size limits, close to the encoded header.</summary>
    public const int EntryHeaderSize = 24;

    /// <summary>True when this is a leader's no-op entry.</summary>
    public bool IsNoop => Type == EntryType.Normal && Data.IsEmpty;

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Term}{(Type == EntryType.Normal ? "" : " " + Type)} ({Data.Length} B)";
}
