using System.Buffers;
using System.Text;
using Lux.Raft;

namespace Lux.Raft.Transport.Codec;

/// <summary>How a receiver ended a snapshot stream.</summary>
public enum SnapshotStatus : byte
{
    /// <summary>The receiver's handler took the snapshot.</summary>
    Accepted = 0,
    /// <summary>The receiver's handler failed or the data was incomplete.</summary>
    Failed = 1,
    /// <summary>The receiver already runs as many snapshot streams as it allows.</summary>
    Busy = 2,
}

/// <summary>The first handshake frame, client to server.</summary>
/// <param name="MinVersion">Lowest wire version the client speaks.</param>
/// <param name="MaxVersion">Highest wire version the client speaks.</param>
/// <param name="Nonce">The client's fresh random challenge.</param>
/// <param name="NodeId">The client's node id.</param>
/// <param name="TargetNodeId">The node id the client believes it connected to.</param>
public sealed record HelloFrame(byte MinVersion, byte MaxVersion, byte[] Nonce, string NodeId, string TargetNodeId);

/// <summary>The server's handshake answer.</summary>
/// <param name="Version">The wire version chosen for the connection.</param>
/// <param name="Nonce">The server's fresh random challenge.</param>
/// <param name="NodeId">The server's node id.</param>
/// <param name="Proof">HMAC proving the server knows the cluster secret; empty when no secret is configured.</param>
public sealed record ChallengeFrame(byte Version, byte[] Nonce, string NodeId, byte[] Proof);

public static partial class FrameCodec
{
    /// <summary>Size of handshake nonces.</summary>
    public const int NonceSize = 32;

    /// <summary>Longest node id accepted on the wire, in UTF-8 bytes.</summary>
    public const int MaxNodeIdBytes = 255;

    /// <summary>Largest payload accepted before the handshake completes.</summary>
    public const int MaxHandshakePayload = 1024;

    private const int MaxProofBytes = 64;

    /// <summary>Writes the frame that opens snapshot stream <paramref name="streamId"/>.</summary>
    public static int WriteSnapshotBegin(IBufferWriter<byte> writer, ulong partitionId, ulong streamId, Message message)
    {
        if (message.Type != MessageType.Snapshot) throw new ArgumentException("a snapshot stream opens with a Snapshot message", nameof(message));
        var size = WireWriter.VarUIntSize(streamId) + 1 + MessageCodec.GetBodySize(message);
        var frame = new FrameBuilder(writer, (byte)FrameType.SnapshotBegin, partitionId, size);
        var w = new WireWriter(frame.Body);
        w.WriteVarUInt(streamId);
        w.WriteByte((byte)message.Type);
        MessageCodec.WriteBody(message, ref w);
        return frame.Complete();
    }

    /// <summary>Decodes a <see cref="FrameType.SnapshotBegin"/> payload.</summary>
    public static (ulong StreamId, Message Message) ReadSnapshotBegin(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var streamId = r.ReadVarUInt();
        var type = (MessageType)r.ReadByte();
        if (type != MessageType.Snapshot) throw new ProtocolViolationException($"snapshot stream opened by message type {(byte)type}");
        byte[]? backing = null;
        var message = MessageCodec.ReadBody(type, ref r, payload, ref backing);
        r.ExpectEnd();
        return (streamId, message);
    }

    /// <summary>Writes one piece of snapshot data.</summary>
    public static int WriteSnapshotChunk(IBufferWriter<byte> writer, ulong partitionId, ulong streamId, ReadOnlySpan<byte> data)
    {
        var frame = new FrameBuilder(writer, (byte)FrameType.SnapshotChunk, partitionId, WireWriter.VarUIntSize(streamId) + data.Length);
        var w = new WireWriter(frame.Body);
        w.WriteVarUInt(streamId);
        w.WriteBytes(data);
        return frame.Complete();
    }

    /// <summary>Splits a <see cref="FrameType.SnapshotChunk"/> payload into stream id and the offset where data starts.</summary>
    public static (ulong StreamId, int DataOffset) ReadSnapshotChunkHeader(ReadOnlySpan<byte> payloadStart)
    {
        var r = new WireReader(payloadStart);
        var streamId = r.ReadVarUInt();
        return (streamId, r.Position);
    }

    /// <summary>Writes a frame of two varints: the snapshot control frames (end, credit) and their kin.</summary>
    public static int WriteStreamControl(IBufferWriter<byte> writer, FrameType type, ulong partitionId, ulong streamId, ulong value)
    {
        if (type is not (FrameType.SnapshotEnd or FrameType.SnapshotCredit or FrameType.SnapshotAbort or FrameType.SnapshotResult))
            throw new ArgumentException($"{type} is not a stream control frame", nameof(type));
        var frame = new FrameBuilder(writer, (byte)type, partitionId, WireWriter.VarUIntSize(streamId) + WireWriter.VarUIntSize(value));
        var w = new WireWriter(frame.Body);
        w.WriteVarUInt(streamId);
        w.WriteVarUInt(value);
        return frame.Complete();
    }

    /// <summary>Decodes a stream control payload written by <see cref="WriteStreamControl"/>.</summary>
    public static (ulong StreamId, ulong Value) ReadStreamControl(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var streamId = r.ReadVarUInt();
        var value = r.ReadVarUInt();
        r.ExpectEnd();
        return (streamId, value);
    }

    /// <summary>Writes a frame with no payload (<see cref="FrameType.Welcome"/>, <see cref="FrameType.Goodbye"/>).</summary>
    public static int WriteEmpty(IBufferWriter<byte> writer, FrameType type)
    {
        if (type is not (FrameType.Welcome or FrameType.Goodbye)) throw new ArgumentException($"{type} has a payload", nameof(type));
        return new FrameBuilder(writer, (byte)type, 0, 0).Complete();
    }

    /// <summary>Writes the client's first handshake frame.</summary>
    public static int WriteHello(IBufferWriter<byte> writer, HelloFrame hello)
    {
        var id = NodeIdBytes(hello.NodeId);
        var target = NodeIdBytes(hello.TargetNodeId);
        CheckNonce(hello.Nonce);
        var frame = new FrameBuilder(writer, (byte)FrameType.Hello, 0,
            2 + NonceSize + WireWriter.VarUIntSize((ulong)id.Length) + id.Length + WireWriter.VarUIntSize((ulong)target.Length) + target.Length);
        var w = new WireWriter(frame.Body);
        w.WriteByte(hello.MinVersion);
        w.WriteByte(hello.MaxVersion);
        w.WriteBytes(hello.Nonce);
        w.WriteLengthPrefixed(id);
        w.WriteLengthPrefixed(target);
        return frame.Complete();
    }

    /// <summary>Decodes a <see cref="FrameType.Hello"/> payload.</summary>
    public static HelloFrame ReadHello(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var min = r.ReadByte();
        var max = r.ReadByte();
        if (min > max) throw new ProtocolViolationException($"hello offers versions {min}..{max}");
        var nonce = r.ReadBytes(NonceSize).ToArray();
        var id = ReadNodeId(ref r);
        var target = ReadNodeId(ref r);
        r.ExpectEnd();
        return new HelloFrame(min, max, nonce, id, target);
    }

    /// <summary>Writes the server's handshake answer.</summary>
    public static int WriteChallenge(IBufferWriter<byte> writer, ChallengeFrame challenge)
    {
        var id = NodeIdBytes(challenge.NodeId);
        CheckNonce(challenge.Nonce);
        var frame = new FrameBuilder(writer, (byte)FrameType.Challenge, 0,
            1 + NonceSize + WireWriter.VarUIntSize((ulong)id.Length) + id.Length + WireWriter.VarUIntSize((ulong)challenge.Proof.Length) + challenge.Proof.Length);
        var w = new WireWriter(frame.Body);
        w.WriteByte(challenge.Version);
        w.WriteBytes(challenge.Nonce);
        w.WriteLengthPrefixed(id);
        w.WriteLengthPrefixed(challenge.Proof);
        return frame.Complete();
    }

    /// <summary>Decodes a <see cref="FrameType.Challenge"/> payload.</summary>
    public static ChallengeFrame ReadChallenge(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var version = r.ReadByte();
        var nonce = r.ReadBytes(NonceSize).ToArray();
        var id = ReadNodeId(ref r);
        var proof = ReadProof(ref r);
        r.ExpectEnd();
        return new ChallengeFrame(version, nonce, id, proof);
    }

    /// <summary>Writes the client's proof.</summary>
    public static int WriteProof(IBufferWriter<byte> writer, ReadOnlySpan<byte> proof)
    {
        var frame = new FrameBuilder(writer, (byte)FrameType.Proof, 0, WireWriter.VarUIntSize((ulong)proof.Length) + proof.Length);
        var w = new WireWriter(frame.Body);
        w.WriteLengthPrefixed(proof);
        return frame.Complete();
    }

    /// <summary>Decodes a <see cref="FrameType.Proof"/> payload.</summary>
    public static byte[] ReadProof(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var proof = ReadProof(ref r);
        r.ExpectEnd();
        return proof;
    }

    private static byte[] ReadProof(ref WireReader r)
    {
        var length = r.ReadLength();
        if (length > MaxProofBytes) throw new ProtocolViolationException($"proof of {length} bytes");
        return r.ReadBytes(length).ToArray();
    }

    private static string ReadNodeId(ref WireReader r)
    {
        var length = r.ReadLength();
        if (length is 0 or > MaxNodeIdBytes) throw new ProtocolViolationException($"node id of {length} bytes");
        try
        {
            return new UTF8Encoding(false, true).GetString(r.ReadBytes(length));
        }
        catch (DecoderFallbackException e)
        {
            throw new ProtocolViolationException("node id is not UTF-8", e);
        }
    }

    private static byte[] NodeIdBytes(string nodeId)
    {
        var bytes = Encoding.UTF8.GetBytes(nodeId);
        if (bytes.Length is 0 or > MaxNodeIdBytes) throw new ArgumentException($"a node id takes 1 to {MaxNodeIdBytes} UTF-8 bytes", nameof(nodeId));
        return bytes;
    }

    private static void CheckNonce(byte[] nonce)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException($"a nonce is {NonceSize} bytes", nameof(nonce));
    }
}
