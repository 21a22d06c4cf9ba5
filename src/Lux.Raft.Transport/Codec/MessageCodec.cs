using Lux.Raft;

namespace Lux.Raft.Transport.Codec;

/// <summary>
/// Encodes the body of a Raft <see cref="Message"/> (version 1). The message type travels in the frame header (or, inside
/// batch and snapshot frames, in the byte before the body). The body starts with a field mask; only fields that differ
/// from their default are written, each as a LEB128 varint:
/// <code>
/// mask:varint  [to] [from] [term] [logTerm] [index] [commit] [rejectHint]
/// [entries: count, then per entry zigzag(index - (previous index + 1)), term, type:u8, length, data]
/// [snapshot: index, term, voters, learners, votersOutgoing, learnersNext (count + ids each), autoLeave:u8]
/// [context: length, bytes]
/// </code>
/// Reject and LeaderTransfer are mask bits. A decoder refuses unknown mask bits, so a newer field needs a new version.
/// </summary>
public static class MessageCodec
{
    private const ulong HasTo = 1 << 0, HasFrom = 1 << 1, HasTerm = 1 << 2, HasLogTerm = 1 << 3, HasIndex = 1 << 4,
        HasCommit = 1 << 5, HasRejectHint = 1 << 6, IsReject = 1 << 7, IsLeaderTransfer = 1 << 8, HasEntries = 1 << 9,
        HasSnapshot = 1 << 10, HasContext = 1 << 11;

    private const ulong KnownBits = (1 << 12) - 1;

    // Smallest encoded entry: index delta, term, type, data length: one byte each.
    private const int MinEntryBytes = 4;

    // Largest encoded entry apart from its data: index delta and term (10-byte varints), type, data length (5).
    private const int MaxEntryOverhead = 10 + 10 + 1 + 5;

    // Mask and the seven integer fields at their longest.
    private const int MaxFixedFields = 8 * 10;

    /// <summary>True when <paramref name="type"/> may cross the network.</summary>
    public static bool CanEncode(MessageType type) => !type.IsLocal() && type <= MessageTypes.MaxValue;

    /// <summary>The exact size of the body of <paramref name="message"/>.</summary>
    /// <exception cref="ArgumentException">The message is of a local-only type.</exception>
    public static int GetBodySize(Message message)
    {
        EnsureEncodable(message);
        var mask = Mask(message);
        long size = WireWriter.VarUIntSize(mask);
        if ((mask & HasTo) != 0) size += WireWriter.VarUIntSize(message.To);
        if ((mask & HasFrom) != 0) size += WireWriter.VarUIntSize(message.From);
        if ((mask & HasTerm) != 0) size += WireWriter.VarUIntSize(message.Term);
        if ((mask & HasLogTerm) != 0) size += WireWriter.VarUIntSize(message.LogTerm);
        if ((mask & HasIndex) != 0) size += WireWriter.VarUIntSize(message.Index);
        if ((mask & HasCommit) != 0) size += WireWriter.VarUIntSize(message.Commit);
        if ((mask & HasRejectHint) != 0) size += WireWriter.VarUIntSize(message.RejectHint);
        if ((mask & HasEntries) != 0) size += EntriesSize(message.Entries);
        if ((mask & HasSnapshot) != 0)
        {
            var s = message.Snapshot!;
            size += WireWriter.VarUIntSize(s.Index) + WireWriter.VarUIntSize(s.Term) + 1
                    + IdsSize(s.ConfState.Voters) + IdsSize(s.ConfState.Learners)
                    + IdsSize(s.ConfState.VotersOutgoing) + IdsSize(s.ConfState.LearnersNext);
        }
        if ((mask & HasContext) != 0) size += WireWriter.VarUIntSize((ulong)message.Context.Length) + message.Context.Length;
        if (size > int.MaxValue) throw new ArgumentException("message too large to encode", nameof(message));
        return (int)size;
    }

    /// <summary>
    /// A bound on the body size that needs no varint sizes, only the data lengths: the sender lays a frame out in a
    /// buffer this large and seals it at its actual size, instead of sizing it exactly in a pass of its own.
    /// </summary>
    /// <returns>The bound, or -1 when the message carries snapshot metadata (rare; size those exactly).</returns>
    internal static long GetBodySizeBound(Message message) => GetBodySizeBound(message, GetPayloadBytes(message));

    /// <summary>The bound of <see cref="GetBodySizeBound(Message)"/> from <see cref="GetPayloadBytes"/> already summed.</summary>
    internal static long GetBodySizeBound(Message message, long payloadBytes)
    {
        if (message.Snapshot is not null) return -1;
        var count = message.Entries.Length;
        return MaxFixedFields + 5 + payloadBytes + (count > 0 ? 10 + (long)count * MaxEntryOverhead : 0);
    }

    /// <summary>The bytes of data a message carries: its entries' data and its context.</summary>
    internal static long GetPayloadBytes(Message message)
    {
        long bytes = message.Context.Length;
        foreach (ref readonly var entry in message.Entries.AsSpan()) bytes += entry.Data.Length;
        return bytes;
    }

    /// <summary>Writes the body of <paramref name="message"/>; <paramref name="destination"/> must hold <see cref="GetBodySize"/> bytes.</summary>
    /// <returns>The number of bytes written.</returns>
    public static int WriteBody(Message message, Span<byte> destination)
    {
        EnsureEncodable(message);
        var w = new WireWriter(destination);
        WriteBody(message, ref w);
        return w.Position;
    }

    internal static void WriteBody(Message message, ref WireWriter w)
    {
        var mask = Mask(message);
        w.WriteVarUInt(mask);
        if ((mask & HasTo) != 0) w.WriteVarUInt(message.To);
        if ((mask & HasFrom) != 0) w.WriteVarUInt(message.From);
        if ((mask & HasTerm) != 0) w.WriteVarUInt(message.Term);
        if ((mask & HasLogTerm) != 0) w.WriteVarUInt(message.LogTerm);
        if ((mask & HasIndex) != 0) w.WriteVarUInt(message.Index);
        if ((mask & HasCommit) != 0) w.WriteVarUInt(message.Commit);
        if ((mask & HasRejectHint) != 0) w.WriteVarUInt(message.RejectHint);
        if ((mask & HasEntries) != 0)
        {
            w.WriteVarUInt((ulong)message.Entries.Length);
            w.Skip(WriteEntries(message.Entries, w.Free));
        }
        if ((mask & HasSnapshot) != 0)
        {
            var s = message.Snapshot!;
            w.WriteVarUInt(s.Index);
            w.WriteVarUInt(s.Term);
            WriteIds(ref w, s.ConfState.Voters);
            WriteIds(ref w, s.ConfState.Learners);
            WriteIds(ref w, s.ConfState.VotersOutgoing);
            WriteIds(ref w, s.ConfState.LearnersNext);
            w.WriteByte(s.ConfState.AutoLeave ? (byte)1 : (byte)0);
        }
        if ((mask & HasContext) != 0) w.WriteLengthPrefixed(message.Context.Span);
    }

    /// <summary>Decodes a whole body of type <paramref name="type"/>.</summary>
    /// <remarks>Entry data and context are slices of one copy of the body, made only when the message has entries or a context.</remarks>
    /// <exception cref="ProtocolViolationException">The body is malformed.</exception>
    public static Message Decode(MessageType type, ReadOnlySpan<byte> body)
    {
        byte[]? backing = null;
        var r = new WireReader(body);
        var message = ReadBody(type, ref r, body, ref backing);
        r.ExpectEnd();
        return message;
    }

    /// <summary>
    /// Reads one body at the reader's position. <paramref name="whole"/> is the span the reader walks; when the first
    /// byte array field is met it is copied once into <paramref name="backing"/>, and every data field of this and later
    /// bodies read with the same backing is a slice of it.
    /// </summary>
    internal static Message ReadBody(MessageType type, ref WireReader r, ReadOnlySpan<byte> whole, ref byte[]? backing)
    {
        if (!CanEncode(type)) throw new ProtocolViolationException($"message type {(byte)type} may not cross the network");
        var mask = r.ReadVarUInt();
        if ((mask & ~KnownBits) != 0) throw new ProtocolViolationException($"unknown message fields 0x{mask & ~KnownBits:X}");
        var to = (mask & HasTo) != 0 ? r.ReadVarUInt() : 0;
        var from = (mask & HasFrom) != 0 ? r.ReadVarUInt() : 0;
        var term = (mask & HasTerm) != 0 ? r.ReadVarUInt() : 0;
        var logTerm = (mask & HasLogTerm) != 0 ? r.ReadVarUInt() : 0;
        var index = (mask & HasIndex) != 0 ? r.ReadVarUInt() : 0;
        var commit = (mask & HasCommit) != 0 ? r.ReadVarUInt() : 0;
        var rejectHint = (mask & HasRejectHint) != 0 ? r.ReadVarUInt() : 0;
        var entries = (mask & HasEntries) != 0 ? ReadEntries(ref r, ref backing) : [];
        SnapshotMetadata? snapshot = null;
        if ((mask & HasSnapshot) != 0)
        {
            var snapshotIndex = r.ReadVarUInt();
            var snapshotTerm = r.ReadVarUInt();
            var voters = ReadIds(ref r);
            var learners = ReadIds(ref r);
            var votersOutgoing = ReadIds(ref r);
            var learnersNext = ReadIds(ref r);
            var autoLeave = r.ReadByte();
            if (autoLeave > 1) throw new ProtocolViolationException($"bad auto-leave flag {autoLeave}");
            snapshot = new SnapshotMetadata(snapshotIndex, snapshotTerm, new ConfState
            {
                Voters = voters, Learners = learners, VotersOutgoing = votersOutgoing, LearnersNext = learnersNext, AutoLeave = autoLeave == 1,
            });
        }
        var context = (mask & HasContext) != 0 ? ReadData(ref r, whole, ref backing) : ReadOnlyMemory<byte>.Empty;
        return new Message
        {
            Type = type, To = to, From = from, Term = term, LogTerm = logTerm, Index = index, Commit = commit,
            RejectHint = rejectHint, Reject = (mask & IsReject) != 0, LeaderTransfer = (mask & IsLeaderTransfer) != 0,
            Entries = entries, Snapshot = snapshot, Context = context,
        };
    }

    /// <summary>
    /// Reads the entries of an Append. Entries dominate what a follower receives, so this loop keeps its position in a
    /// local and reads the one-byte varints inline; every bound is still checked.
    /// </summary>
    private static Entry[] ReadEntries(ref WireReader r, ref byte[]? backing)
    {
        var count = r.ReadLength(MinEntryBytes);
        if (count == 0) throw new ProtocolViolationException("entries present with a count of zero");
        var source = r.Source;
        // An Append's entries nearly always carry data: copy the body once up front rather than test for it per entry.
        var data = backing ??= source.ToArray();
        var entries = new Entry[count];
        var position = r.Position;
        var previous = 0UL;
        for (var i = 0; i < entries.Length; i++)
        {
            (var delta, position) = WireReader.ReadVarUInt(source, position);
            var index = i == 0 ? delta : unchecked(previous + 1 + (ulong)WireWriter.UnZigZag(delta));
            (var term, position) = WireReader.ReadVarUInt(source, position);
            if ((uint)position >= (uint)source.Length) throw WireReader.Truncated();
            var type = source[position++];
            if (type > (byte)EntryType.ConfChange) throw new ProtocolViolationException($"unknown entry type {type}");
            (var length, position) = WireReader.ReadVarUInt(source, position);
            if (length > (ulong)(source.Length - position)) throw new ProtocolViolationException($"entry data of {length} bytes exceeds the {source.Length - position} bytes left in the frame");
            var payload = length == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(data, position, (int)length);
            position += (int)length;
            entries[i] = new Entry(index, term, (EntryType)type, payload);
            previous = index;
        }
        r.MoveTo(position);
        return entries;
    }

    private static ReadOnlyMemory<byte> ReadData(ref WireReader r, ReadOnlySpan<byte> whole, ref byte[]? backing)
    {
        var (offset, length) = r.ReadLengthPrefixedRange();
        if (length == 0) return ReadOnlyMemory<byte>.Empty;
        backing ??= whole.ToArray();
        return new ReadOnlyMemory<byte>(backing, offset, length);
    }

    private static ulong Mask(Message m)
    {
        ulong mask = 0;
        if (m.To != 0) mask |= HasTo;
        if (m.From != 0) mask |= HasFrom;
        if (m.Term != 0) mask |= HasTerm;
        if (m.LogTerm != 0) mask |= HasLogTerm;
        if (m.Index != 0) mask |= HasIndex;
        if (m.Commit != 0) mask |= HasCommit;
        if (m.RejectHint != 0) mask |= HasRejectHint;
        if (m.Reject) mask |= IsReject;
        if (m.LeaderTransfer) mask |= IsLeaderTransfer;
        if (m.Entries is { Length: > 0 }) mask |= HasEntries;
        if (m.Snapshot is not null) mask |= HasSnapshot;
        if (!m.Context.IsEmpty) mask |= HasContext;
        return mask;
    }

    // Entries dominate Append frames: these two loops are written for speed, one pass each with no per-field calls.
    private static long EntriesSize(Entry[] entries)
    {
        long size = WireWriter.VarUIntSize((ulong)entries.Length);
        var previous = 0UL;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var e = ref entries[i];
            var length = e.Data.Length;
            size += WireWriter.VarUIntSize(IndexDelta(previous, e.Index, i == 0)) + WireWriter.VarUIntSize(e.Term) + 1
                    + WireWriter.VarUIntSize((ulong)length) + length;
            previous = e.Index;
        }
        return size;
    }

    private static int WriteEntries(Entry[] entries, Span<byte> destination)
    {
        var position = 0;
        var previous = 0UL;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var e = ref entries[i];
            position = WireWriter.WriteVarUInt(destination, position, IndexDelta(previous, e.Index, i == 0));
            position = WireWriter.WriteVarUInt(destination, position, e.Term);
            destination[position++] = (byte)e.Type;
            var data = e.Data.Span;
            position = WireWriter.WriteVarUInt(destination, position, (ulong)data.Length);
            data.CopyTo(destination[position..]);
            position += data.Length;
            previous = e.Index;
        }
        return position;
    }

    private static ulong IndexDelta(ulong previous, ulong index, bool first) =>
        first ? index : WireWriter.ZigZag(unchecked((long)(index - (previous + 1))));

    private static long IdsSize(IReadOnlyList<ulong> ids)
    {
        long size = WireWriter.VarUIntSize((ulong)ids.Count);
        for (var i = 0; i < ids.Count; i++) size += WireWriter.VarUIntSize(ids[i]);
        return size;
    }

    private static void WriteIds(ref WireWriter w, IReadOnlyList<ulong> ids)
    {
        w.WriteVarUInt((ulong)ids.Count);
        for (var i = 0; i < ids.Count; i++) w.WriteVarUInt(ids[i]);
    }

    private static ulong[] ReadIds(ref WireReader r)
    {
        var count = r.ReadLength();
        if (count == 0) return [];
        var ids = new ulong[count];
        for (var i = 0; i < count; i++) ids[i] = r.ReadVarUInt();
        return ids;
    }

    private static void EnsureEncodable(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!CanEncode(message.Type))
            throw new ArgumentException($"{message.Type} is a local message and never crosses the network", nameof(message));
    }
}
