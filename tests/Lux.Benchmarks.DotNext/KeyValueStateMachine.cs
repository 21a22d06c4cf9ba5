using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Lux.Benchmarks.DotNext;

/// <summary>
/// The replicated key/value map: every committed Put (a <see cref="ClientProtocol"/> Put body) overwrites its key.
/// The map lives in memory; DotNext's <see cref="SimpleStateMachine"/> writes it to a snapshot file every
/// <paramref name="snapshotEvery"/> applied entries, the same policy as etcd's default <c>--snapshot-count</c>.
/// </summary>
internal sealed class KeyValueStateMachine(DirectoryInfo location, long snapshotEvery) : SimpleStateMachine(location)
{
    private readonly Dictionary<string, byte[]> store = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private long appliedPuts;

    public long AppliedPuts => Interlocked.Read(ref appliedPuts);

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Configuration entries and the leader's no-op carry no Put.
        if (entry.IsConfiguration || !entry.TryGetPayload(out var payload) || payload.IsEmpty)
            return ValueTask.FromResult(false);
        var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        if (!ClientProtocol.TrySplitPut(bytes, out var key, out var value))
            throw new InvalidDataException($"log entry {entry.Index} is not a Put (key length runs past its {bytes.Length} bytes)");
        var name = Encoding.UTF8.GetString(key);
        var copy = value.ToArray();
        lock (gate) store[name] = copy;
        Interlocked.Increment(ref appliedPuts);
        return ValueTask.FromResult(entry.Index % snapshotEvery == 0);
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var buffer = new ArrayBufferWriter<byte>();
        lock (gate)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(sizeof(int)), store.Count);
            buffer.Advance(sizeof(int));
            foreach (var (name, value) in store)
            {
                var key = Encoding.UTF8.GetBytes(name);
                var record = buffer.GetSpan(sizeof(ushort) + key.Length + sizeof(int) + value.Length);
                BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)key.Length);
                key.CopyTo(record[sizeof(ushort)..]);
                BinaryPrimitives.WriteInt32LittleEndian(record[(sizeof(ushort) + key.Length)..], value.Length);
                value.CopyTo(record[(sizeof(ushort) + key.Length + sizeof(int))..]);
                buffer.Advance(sizeof(ushort) + key.Length + sizeof(int) + value.Length);
            }
        }
        return writer.WriteAsync(buffer.WrittenMemory, lengthFormat: null, token);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        var restored = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var span = bytes.AsSpan();
        if (span.Length < sizeof(int)) throw new InvalidDataException($"snapshot {snapshotFile.Name} is shorter than its count");
        var count = BinaryPrimitives.ReadInt32LittleEndian(span);
        span = span[sizeof(int)..];
        for (var i = 0; i < count; i++)
        {
            if (span.Length < sizeof(ushort)) throw new InvalidDataException($"snapshot {snapshotFile.Name} ends inside record {i}");
            var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(span);
            if (span.Length < sizeof(ushort) + keyLength + sizeof(int)) throw new InvalidDataException($"snapshot {snapshotFile.Name} ends inside record {i}");
            var name = Encoding.UTF8.GetString(span.Slice(sizeof(ushort), keyLength));
            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(span[(sizeof(ushort) + keyLength)..]);
            var start = sizeof(ushort) + keyLength + sizeof(int);
            if (valueLength < 0 || span.Length - start < valueLength) throw new InvalidDataException($"snapshot {snapshotFile.Name} ends inside record {i}");
            restored[name] = span.Slice(start, valueLength).ToArray();
            span = span[(start + valueLength)..];
        }
        lock (gate)
        {
            store.Clear();
            foreach (var (name, value) in restored) store[name] = value;
        }
    }
}
