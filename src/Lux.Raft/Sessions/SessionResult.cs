using System.Buffers.Binary;
using System.Text;

namespace Lux.Raft.Sessions;

/// <summary>How a session entry was handled.</summary>
public enum SessionResultStatus : byte
{
    /// <summary>Applied (or, for a retry, applied before): the payload is the state machine's result.</summary>
    Ok = 0,

    /// <summary>The state machine refused the command; the payload is its reason (UTF-8). The state is unchanged.</summary>
    Rejected = 1,

    /// <summary>The session is unknown: it expired, was evicted, or was closed. The command was not applied.</summary>
    SessionExpired = 2,

    /// <summary>The entry could not be decoded. Nothing was applied.</summary>
    Malformed = 3,

    /// <summary>The command's result was already acknowledged by the client and forgotten; whether it ran is not known here.</summary>
    Stale = 4,
}

/// <summary>A session entry's outcome as the proposer receives it: a status byte, then the payload.</summary>
/// <param name="Status">How the entry was handled.</param>
/// <param name="Payload">The result, the rejection reason, or (for a registration) the session id.</param>
public readonly record struct SessionResult(SessionResultStatus Status, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The session id a successful registration returns.</summary>
    public ulong SessionId => Status == SessionResultStatus.Ok && Payload.Length == 8
        ? BinaryPrimitives.ReadUInt64LittleEndian(Payload.Span)
        : throw new InvalidOperationException("not the result of a successful registration");

    /// <summary>The rejection reason of a <see cref="SessionResultStatus.Rejected"/> result.</summary>
    public string RejectionReason => Status == SessionResultStatus.Rejected ? Encoding.UTF8.GetString(Payload.Span) : "";

    /// <summary>Encodes the result as the bytes the host returns to the proposer.</summary>
    public byte[] Encode()
    {
        var data = new byte[1 + Payload.Length];
        data[0] = (byte)Status;
        Payload.Span.CopyTo(data.AsSpan(1));
        return data;
    }

    /// <summary>Decodes what <see cref="Encode"/> produced.</summary>
    public static SessionResult Decode(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty || data.Span[0] > (byte)SessionResultStatus.Stale)
            throw new InvalidDataException("not a session result");
        return new((SessionResultStatus)data.Span[0], data[1..]);
    }

    internal static SessionResult Registered(ulong sessionId)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(id, sessionId);
        return new(SessionResultStatus.Ok, id);
    }
}
