using System.Buffers;
using System.Buffers.Binary;

namespace Lux.Benchmarks.DotNext;

/// <summary>
/// The node's client protocol: length-prefixed frames over TCP, many requests in flight on one connection, answered in
/// any order (matched by id).
/// <code>
/// request:  int32 length-of-rest | byte kind   | int64 id | body
///   Put     body = uint16 key length | key | value   (the Raft log entry payload, unchanged)
///   Leader  body = empty
/// response: int32 length-of-rest | byte status | int64 id | body
///   Ok         Put: empty; Leader: int32 client port of the leader (0: none known)
///   NotLeader  int32 client port of the leader (0: none known)
///   Failed     UTF-8 reason
/// </code>
/// All integers little-endian.
/// </summary>
public static class ClientProtocol
{
    /// <summary>Length prefix, kind or status, id.</summary>
    public const int HeaderBytes = sizeof(int) + sizeof(byte) + sizeof(long);

    /// <summary>A frame larger than this is refused and its connection closed: a 1 KiB value needs far less.</summary>
    public const int MaxFrameBytes = 1 << 20;

    public const byte KindPut = 1;
    public const byte KindLeader = 2;

    public const byte StatusOk = 0;
    public const byte StatusNotLeader = 1;
    public const byte StatusFailed = 2;

    public static byte[] Frame(byte code, long id, ReadOnlySpan<byte> body)
    {
        var frame = new byte[HeaderBytes + body.Length];
        WriteHeader(frame, code, id, body.Length);
        body.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static byte[] Frame(byte code, long id, int body)
    {
        var frame = new byte[HeaderBytes + sizeof(int)];
        WriteHeader(frame, code, id, sizeof(int));
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(HeaderBytes), body);
        return frame;
    }

    public static byte[] PutFrame(long id, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(key), "keys are at most 65535 bytes");
        var bodyLength = sizeof(ushort) + key.Length + value.Length;
        if (HeaderBytes + bodyLength > MaxFrameBytes) throw new ArgumentOutOfRangeException(nameof(value), $"a frame is at most {MaxFrameBytes} bytes");
        var frame = new byte[HeaderBytes + bodyLength];
        WriteHeader(frame, KindPut, id, bodyLength);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderBytes), (ushort)key.Length);
        key.CopyTo(frame.AsSpan(HeaderBytes + sizeof(ushort)));
        value.CopyTo(frame.AsSpan(HeaderBytes + sizeof(ushort) + key.Length));
        return frame;
    }

    /// <summary>Splits a Put body (the log entry payload) into key and value; false when the key length runs past the end.</summary>
    public static bool TrySplitPut(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        key = value = default;
        if (body.Length < sizeof(ushort)) return false;
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(body);
        if (body.Length - sizeof(ushort) < keyLength) return false;
        key = body.Slice(sizeof(ushort), keyLength);
        value = body[(sizeof(ushort) + keyLength)..];
        return true;
    }

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>. False when more bytes are needed.
    /// </summary>
    /// <exception cref="InvalidDataException">The length prefix is below the header or above <see cref="MaxFrameBytes"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out byte code, out long id, out ReadOnlySequence<byte> body)
    {
        code = 0;
        id = 0;
        body = default;
        if (buffer.Length < HeaderBytes) return false;
        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var rest = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (rest < HeaderBytes - sizeof(int) || rest > MaxFrameBytes - sizeof(int))
            throw new InvalidDataException($"frame length {rest} outside [{HeaderBytes - sizeof(int)}, {MaxFrameBytes - sizeof(int)}]");
        if (buffer.Length < sizeof(int) + rest) return false;
        code = header[sizeof(int)];
        id = BinaryPrimitives.ReadInt64LittleEndian(header[(sizeof(int) + 1)..]);
        body = buffer.Slice(HeaderBytes, rest - (HeaderBytes - sizeof(int)));
        buffer = buffer.Slice(sizeof(int) + rest);
        return true;
    }

    public static int ReadInt32(ReadOnlySequence<byte> body)
    {
        if (body.Length < sizeof(int)) throw new InvalidDataException("response body shorter than an int32");
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        body.Slice(0, sizeof(int)).CopyTo(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }

    private static void WriteHeader(Span<byte> frame, byte code, long id, int bodyLength)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, HeaderBytes - sizeof(int) + bodyLength);
        frame[sizeof(int)] = code;
        BinaryPrimitives.WriteInt64LittleEndian(frame[(sizeof(int) + 1)..], id);
    }
}
