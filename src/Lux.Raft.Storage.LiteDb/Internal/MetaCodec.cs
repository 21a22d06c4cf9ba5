using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// Encodes a partition's <see cref="LogState"/> (hard state, membership, snapshot point, last index, term runs) as the
/// one binary field of its metadata document, with a CRC-32 over all of it.
/// </summary>
internal static class MetaCodec
{
    private const uint Magic = 0x314D584C; // "LXM1"

    public static byte[] Encode(LogState state)
    {
        var w = new ArrayBufferWriter<byte>(256);
        U32(w, Magic);
        U64(w, state.HardState.Term);
        U64(w, state.HardState.Vote);
        U64(w, state.HardState.Commit);
        U64(w, state.DummyIndex);
        U64(w, state.DummyTerm);
        U64(w, state.LastIndex);
        U64(w, state.Snapshot.Index);
        U64(w, state.Snapshot.Term);
        WriteConf(w, state.Snapshot.ConfState);
        WriteConf(w, state.ConfState);
        U32(w, (uint)state.TermRuns.Count);
        foreach (var (start, term) in state.TermRuns)
        {
            U64(w, start);
            U64(w, term);
        }
        U32(w, Crc32.HashToUInt32(w.WrittenSpan));
        return w.WrittenSpan.ToArray();
    }

    public static bool TryDecode(byte[] data, LogState into, out string? error)
    {
        error = null;
        if (data.Length < 8 || Crc32.HashToUInt32(data.AsSpan(0, data.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(data.Length - 4)))
        {
            error = "checksum mismatch";
            return false;
        }
        var r = new Reader(data.AsSpan(0, data.Length - 4));
        try
        {
            if (r.U32() != Magic)
            {
                error = "unknown format";
                return false;
            }
            var hardState = new HardState(r.U64(), r.U64(), r.U64());
            ulong dummyIndex = r.U64(), dummyTerm = r.U64(), lastIndex = r.U64(), snapIndex = r.U64(), snapTerm = r.U64();
            var snapConf = r.Conf();
            var conf = r.Conf();
            var runCount = r.U32();
            if (runCount > (uint)(data.Length / 16)) throw new FormatException("term run count out of range");
            var runs = new List<(ulong, ulong)>((int)runCount);
            for (var i = 0; i < runCount; i++) runs.Add((r.U64(), r.U64()));
            var snapshot = snapIndex == 0 && snapTerm == 0 && snapConf.IsEmpty ? SnapshotMetadata.Empty : new SnapshotMetadata(snapIndex, snapTerm, snapConf);
            if (lastIndex < dummyIndex || (runs.Count == 0) != (lastIndex == dummyIndex)) throw new FormatException("inconsistent index range");
            into.Load(dummyIndex, dummyTerm, lastIndex, hardState, conf, snapshot, runs);
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private static void WriteConf(ArrayBufferWriter<byte> w, ConfState conf)
    {
        WriteIds(w, conf.Voters);
        WriteIds(w, conf.Learners);
        WriteIds(w, conf.VotersOutgoing);
        WriteIds(w, conf.LearnersNext);
        w.GetSpan(1)[0] = conf.AutoLeave ? (byte)1 : (byte)0;
        w.Advance(1);
    }

    private static void WriteIds(ArrayBufferWriter<byte> w, IReadOnlyList<ulong> ids)
    {
        U32(w, (uint)ids.Count);
        foreach (var id in ids) U64(w, id);
    }

    private static void U32(ArrayBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void U64(ArrayBufferWriter<byte> w, ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _offset;

        public uint U32()
        {
            if (_offset + 4 > _data.Length) throw new FormatException("metadata ends early");
            var v = BinaryPrimitives.ReadUInt32LittleEndian(_data[_offset..]);
            _offset += 4;
            return v;
        }

        public ulong U64()
        {
            if (_offset + 8 > _data.Length) throw new FormatException("metadata ends early");
            var v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_offset..]);
            _offset += 8;
            return v;
        }

        public ConfState Conf()
        {
            var voters = Ids();
            var learners = Ids();
            var outgoing = Ids();
            var learnersNext = Ids();
            if (_offset + 1 > _data.Length) throw new FormatException("metadata ends early");
            var autoLeave = _data[_offset++] != 0;
            return new ConfState { Voters = voters, Learners = learners, VotersOutgoing = outgoing, LearnersNext = learnersNext, AutoLeave = autoLeave };
        }

        private ulong[] Ids()
        {
            var count = U32();
            if (count > (uint)(_data.Length - _offset) / 8) throw new FormatException("member count out of range");
            var ids = new ulong[count];
            for (var i = 0; i < ids.Length; i++) ids[i] = U64();
            return ids;
        }
    }
}
