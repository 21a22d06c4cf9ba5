using System.Buffers.Binary;

namespace Lux.Raft.Sessions;

/// <summary>The kinds of entry a <see cref="SessionStateMachine"/> understands.</summary>
public enum SessionCommandKind : byte
{
    /// <summary>Opens a client session; its id is the log index of this entry (thesis §6.3).</summary>
    Register = 1,

    /// <summary>A command within a session: applied at most once per sequence number.</summary>
    Command = 2,

    /// <summary>Closes a session and forgets its results.</summary>
    Unregister = 3,

    /// <summary>A command outside any session: applied every time it is committed.</summary>
    Unsessioned = 4,
}

/// <summary>
/// A decoded session entry. Every entry carries the proposer's wall-clock time in milliseconds; the state machine's
/// clock is the largest time it has seen, so session expiry is decided by the log itself and is the same on every replica.
/// </summary>
/// <param name="Kind">What the entry does.</param>
/// <param name="SessionId">The session (commands and unregister).</param>
/// <param name="Sequence">The command's sequence number within the session, from 1.</param>
/// <param name="LowestUnacknowledged">The client's lowest sequence number still waiting for a result: results below it may be forgotten.</param>
/// <param name="TimestampMs">The proposer's clock when the entry was proposed (Unix milliseconds).</param>
/// <param name="Payload">The user command.</param>
public readonly record struct SessionCommand(
    SessionCommandKind Kind, ulong SessionId, ulong Sequence, ulong LowestUnacknowledged, long TimestampMs, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The encoding's version, its first byte.</summary>
    public const byte Version = 1;

    private const int CommandHeader = 2 + 8 + 8 + 8 + 8;

    /// <summary>Encodes a registration.</summary>
    public static byte[] Register(long timestampMs)
    {
        var data = new byte[2 + 8];
        data[0] = Version;
        data[1] = (byte)SessionCommandKind.Register;
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(2), timestampMs);
        return data;
    }

    /// <summary>Encodes a command of session <paramref name="sessionId"/>.</summary>
    public static byte[] Command(ulong sessionId, ulong sequence, ulong lowestUnacknowledged, long timestampMs, ReadOnlySpan<byte> payload)
    {
        if (sequence == 0) throw new ArgumentOutOfRangeException(nameof(sequence), "sequence numbers start at 1");
        if (lowestUnacknowledged > sequence) throw new ArgumentOutOfRangeException(nameof(lowestUnacknowledged), "cannot exceed the command's own sequence");
        var data = new byte[CommandHeader + payload.Length];
        data[0] = Version;
        data[1] = (byte)SessionCommandKind.Command;
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(2), sessionId);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(10), sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(18), lowestUnacknowledged);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(26), timestampMs);
        payload.CopyTo(data.AsSpan(CommandHeader));
        return data;
    }

    /// <summary>Encodes the closing of session <paramref name="sessionId"/>.</summary>
    public static byte[] Unregister(ulong sessionId, long timestampMs)
    {
        var data = new byte[2 + 8 + 8];
        data[0] = Version;
        data[1] = (byte)SessionCommandKind.Unregister;
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(2), sessionId);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(10), timestampMs);
        return data;
    }

    /// <summary>Encodes a command outside any session (applied each time it commits; for idempotent commands).</summary>
    public static byte[] Unsessioned(long timestampMs, ReadOnlySpan<byte> payload)
    {
        var data = new byte[2 + 8 + payload.Length];
        data[0] = Version;
        data[1] = (byte)SessionCommandKind.Unsessioned;
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(2), timestampMs);
        payload.CopyTo(data.AsSpan(10));
        return data;
    }

    /// <summary>Decodes an entry's data; false (and nothing applied) for anything malformed.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out SessionCommand command)
    {
        command = default;
        var span = data.Span;
        if (span.Length < 2 || span[0] != Version) return false;
        switch ((SessionCommandKind)span[1])
        {
            case SessionCommandKind.Register when span.Length == 10:
                command = new(SessionCommandKind.Register, 0, 0, 0, BinaryPrimitives.ReadInt64LittleEndian(span[2..]), default);
                return true;
            case SessionCommandKind.Command when span.Length >= CommandHeader:
                var sequence = BinaryPrimitives.ReadUInt64LittleEndian(span[10..]);
                var lowest = BinaryPrimitives.ReadUInt64LittleEndian(span[18..]);
                if (sequence == 0 || lowest > sequence) return false;
                command = new(SessionCommandKind.Command, BinaryPrimitives.ReadUInt64LittleEndian(span[2..]), sequence, lowest,
                    BinaryPrimitives.ReadInt64LittleEndian(span[26..]), data[CommandHeader..]);
                return true;
            case SessionCommandKind.Unregister when span.Length == 18:
                command = new(SessionCommandKind.Unregister, BinaryPrimitives.ReadUInt64LittleEndian(span[2..]), 0, 0,
                    BinaryPrimitives.ReadInt64LittleEndian(span[10..]), default);
                return true;
            case SessionCommandKind.Unsessioned when span.Length >= 10:
                command = new(SessionCommandKind.Unsessioned, 0, 0, 0, BinaryPrimitives.ReadInt64LittleEndian(span[2..]), data[10..]);
                return true;
            default:
                return false;
        }
    }
}
