using System.Buffers;
using System.Buffers.Binary;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Hostile;

/// <summary>Makes random and mutated frames from a seeded generator: garbage, lying headers, corrupted and truncated frames.</summary>
public sealed class HostileFrames(Random rng)
{
    public enum Kind { Garbage, RandomHeader, HugeLength, BitFlips, MutatedWithValidChecksum, Truncated, WrongType }

    public (Kind Kind, byte[] Bytes, bool HalfClose) Next()
    {
        var kind = (Kind)rng.Next(7);
        return kind switch
        {
            Kind.Garbage => (kind, Bytes(rng.Next(1, 200)), false),
            Kind.RandomHeader => (kind, RandomHeader(), rng.Next(2) == 0),
            Kind.HugeLength => (kind, HugeLength(), true),
            Kind.BitFlips => (kind, BitFlips(), false),
            Kind.MutatedWithValidChecksum => (kind, Resealed(), false),
            Kind.Truncated => (kind, Truncated(), true),
            _ => (kind, WrongType(), false),
        };
    }

    private byte[] Bytes(int n)
    {
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    private byte[] Valid() => RawPeer.MessageFrame(Messages.Number(rng), Messages.Random(rng));

    private byte[] RandomHeader()
    {
        var frame = Bytes(FrameHeader.Size + rng.Next(0, 64));
        frame[0] = (byte)(rng.Next(4) == 0 ? rng.Next(256) : 1);
        frame[1] = (byte)rng.Next(256);
        if (rng.Next(2) == 0) frame[2] = frame[3] = 0;
        return frame;
    }

    private byte[] HugeLength()
    {
        var frame = new byte[FrameHeader.Size + rng.Next(0, 100)];
        FrameHeader.WriteWithoutChecksum(frame, (byte)Lux.Raft.MessageType.Append,
            rng.Next(2) == 0 ? rng.Next(1 << 20, int.MaxValue) : (int)(0x80000000u + (uint)rng.Next()), 1);
        return frame;
    }

    private byte[] BitFlips()
    {
        var frame = Valid();
        for (var i = rng.Next(1, 9); i > 0; i--) frame[rng.Next(frame.Length)] ^= (byte)(1 << rng.Next(8));
        return frame;
    }

    /// <summary>A body mutated and then checksummed again, so the decoder itself meets the damage.</summary>
    private byte[] Resealed()
    {
        var frame = Valid();
        var body = frame.AsSpan(FrameHeader.Size);
        if (body.Length > 0)
        {
            for (var i = rng.Next(1, 5); i > 0; i--) body[rng.Next(body.Length)] = (byte)rng.Next(256);
        }
        FrameHeader.Seal(frame, body);
        return frame;
    }

    private byte[] Truncated()
    {
        var frame = Valid();
        return frame[..rng.Next(1, frame.Length)];
    }

    private byte[] WrongType()
    {
        // Well-formed frames a sending peer must never send: local message types, handshake and receiver-only frames.
        byte[] forbidden = [0, 1, 2, 10, 11, 12, (byte)FrameType.Hello, (byte)FrameType.Proof, (byte)FrameType.Welcome,
            (byte)FrameType.SnapshotCredit, (byte)FrameType.SnapshotResult, (byte)FrameType.SnapshotChunk];
        var payload = Bytes(rng.Next(0, 32));
        var frame = new byte[FrameHeader.Size + payload.Length];
        FrameHeader.WriteWithoutChecksum(frame, forbidden[rng.Next(forbidden.Length)], payload.Length, 0);
        payload.CopyTo(frame, FrameHeader.Size);
        FrameHeader.Seal(frame, payload);
        return frame;
    }
}
