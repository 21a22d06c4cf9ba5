using System.Buffers;
using System.Buffers.Binary;

namespace Lux.Raft.Sessions;

public sealed partial class SessionStateMachine
{
    // "LXSS", then the version.
    private const uint SnapshotMagic = 0x5353584C;
    private const byte SnapshotVersion = 1;
    private const int FlushThreshold = 64 * 1024;

    // A bound for lengths read from a snapshot, so a damaged one cannot make us allocate gigabytes up front.
    private const int MaxResultBytes = 256 * 1024 * 1024;

    /// <summary>
    /// Writes the session table, then the wrapped state machine's snapshot, to <paramref name="destination"/>. The table
    /// goes out in pieces of at most 64 KiB plus one result, never as one array.
    /// </summary>
    public async ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold * 2);
        WriteUInt32(buffer, SnapshotMagic);
        buffer.Write([SnapshotVersion]);
        WriteInt64(buffer, _clockMs);
        WriteInt32(buffer, _sessions.Count);
        foreach (var session in _sessions.Values.OrderBy(s => s.Id))
        {
            WriteUInt64(buffer, session.Id);
            WriteInt64(buffer, session.LastActivityMs);
            WriteUInt64(buffer, session.LowestUnacknowledged);
            WriteUInt64(buffer, session.ForgottenThrough);
            WriteInt32(buffer, session.Results.Count);
            foreach (var (sequence, result) in session.Results)
            {
                WriteUInt64(buffer, sequence);
                WriteInt32(buffer, result.Length);
                buffer.Write(result);
                if (buffer.WrittenCount >= FlushThreshold)
                {
                    await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
            }
        }
        await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _inner.SnapshotAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the session table and the wrapped state with a snapshot written by <see cref="SnapshotAsync"/>.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a session snapshot.</exception>
    public async ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default)
    {
        var reader = new ExactReader(source);
        if (await reader.UInt32Async(cancellationToken).ConfigureAwait(false) != SnapshotMagic)
            throw new InvalidDataException("not a session snapshot (bad magic)");
        var version = (await reader.BytesAsync(1, cancellationToken).ConfigureAwait(false))[0];
        if (version != SnapshotVersion) throw new InvalidDataException($"unsupported session snapshot version {version}");

        var clock = await reader.Int64Async(cancellationToken).ConfigureAwait(false);
        var count = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
        if (count < 0) throw new InvalidDataException("negative session count");
        var sessions = new Dictionary<ulong, ClientSessionState>();
        for (var i = 0; i < count; i++)
        {
            var session = new ClientSessionState(await reader.UInt64Async(cancellationToken).ConfigureAwait(false),
                await reader.Int64Async(cancellationToken).ConfigureAwait(false))
            {
                LowestUnacknowledged = await reader.UInt64Async(cancellationToken).ConfigureAwait(false),
                ForgottenThrough = await reader.UInt64Async(cancellationToken).ConfigureAwait(false),
            };
            var results = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            if (results < 0) throw new InvalidDataException("negative result count");
            for (var r = 0; r < results; r++)
            {
                var sequence = await reader.UInt64Async(cancellationToken).ConfigureAwait(false);
                var length = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
                if (length < 1 || length > MaxResultBytes) throw new InvalidDataException($"bad result length {length}");
                session.Results[sequence] = await reader.BytesAsync(length, cancellationToken).ConfigureAwait(false);
            }
            if (!sessions.TryAdd(session.Id, session)) throw new InvalidDataException($"session {session.Id} appears twice");
        }

        await _inner.RestoreAsync(source, cancellationToken).ConfigureAwait(false);
        _clockMs = clock;
        _sessions.Clear();
        _byActivity.Clear();
        foreach (var session in sessions.Values)
        {
            _sessions.Add(session.Id, session);
            _byActivity.Add((session.LastActivityMs, session.Id));
        }
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> buffer, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> buffer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void WriteUInt64(ArrayBufferWriter<byte> buffer, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    /// <summary>Reads exact byte counts from a stream without reading past them, so the rest belongs to the wrapped state machine.</summary>
    private sealed class ExactReader(Stream source)
    {
        private readonly byte[] _scratch = new byte[8];

        public async ValueTask<byte[]> BytesAsync(int count, CancellationToken cancellationToken)
        {
            var bytes = new byte[count];
            await ReadAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }

        public async ValueTask<uint> UInt32Async(CancellationToken cancellationToken)
        {
            await ReadAsync(_scratch.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadUInt32LittleEndian(_scratch);
        }

        public async ValueTask<int> Int32Async(CancellationToken cancellationToken)
        {
            await ReadAsync(_scratch.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadInt32LittleEndian(_scratch);
        }

        public async ValueTask<ulong> UInt64Async(CancellationToken cancellationToken)
        {
            await ReadAsync(_scratch.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadUInt64LittleEndian(_scratch);
        }

        public async ValueTask<long> Int64Async(CancellationToken cancellationToken)
        {
            await ReadAsync(_scratch.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadInt64LittleEndian(_scratch);
        }

        private async ValueTask ReadAsync(Memory<byte> into, CancellationToken cancellationToken)
        {
            try
            {
                await source.ReadExactlyAsync(into, cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("the session snapshot ends early", e);
            }
        }
    }
}
