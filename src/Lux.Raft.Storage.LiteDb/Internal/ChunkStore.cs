using LiteDB;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// The LiteDB side of the WAL: the "chunks" collection (packed entries, keyed by <see cref="ChunkKey"/>) and the
/// "partitions" collection (one metadata document per partition). Every chunk query is an _id range inside one
/// partition's key range, so a partition's reads and deletes never visit another partition's documents.
/// </summary>
internal sealed class ChunkStore(LiteDatabase db)
{
    private const string ChunkCollection = "chunks";
    private const string MetaCollection = "partitions";
    private const string Payload = "d";
    private const string Meta = "m";

    private readonly ILiteCollection<BsonDocument> _chunks = db.GetCollection(ChunkCollection, BsonAutoId.Int64);
    private readonly ILiteCollection<BsonDocument> _meta = db.GetCollection(MetaCollection, BsonAutoId.Int64);

    public void InsertChunk(ulong partition, ulong firstIndex, byte[] payload) =>
        _chunks.Insert(new BsonDocument { ["_id"] = new BsonValue(ChunkKey.Create(partition, firstIndex)), [Payload] = new BsonValue(payload) });

    public void UpdateChunk(byte[] key, byte[] payload) =>
        _chunks.Update(new BsonDocument { ["_id"] = new BsonValue(key), [Payload] = new BsonValue(payload) });

    public byte[]? GetChunk(byte[] key) => _chunks.FindById(new BsonValue(key))?[Payload].AsBinary;

    /// <summary>Deletes the chunks whose first index lies in [<paramref name="fromIndex"/>, <paramref name="toIndex"/>].</summary>
    public int DeleteChunks(ulong partition, ulong fromIndex, ulong toIndex) =>
        fromIndex > toIndex ? 0 : _chunks.DeleteMany(Range(partition, fromIndex, toIndex));

    /// <summary>The key of the chunk with the greatest first index at or below <paramref name="index"/>: the one holding it, if any does.</summary>
    public byte[]? FindChunkKeyAtOrBelow(ulong partition, ulong index)
    {
        var doc = _chunks.Query().Where(Range(partition, 0, index)).OrderByDescending("_id").Select("{ k: $._id }").Limit(1).FirstOrDefault();
        return doc?["k"].AsBinary;
    }

    /// <summary>Chunks whose first index lies in [<paramref name="fromIndex"/>, <paramref name="toIndex"/>], ascending.</summary>
    public IEnumerable<(ulong FirstIndex, byte[] Key, byte[] Payload)> ReadChunks(ulong partition, ulong fromIndex, ulong toIndex)
    {
        foreach (var doc in _chunks.Query().Where(Range(partition, fromIndex, toIndex)).ToEnumerable())
        {
            yield return Decode(doc);
        }
    }

    /// <summary>A partition's chunks from the newest down.</summary>
    public IEnumerable<(ulong FirstIndex, byte[] Key, byte[] Payload)> ReadChunksDescending(ulong partition)
    {
        foreach (var doc in _chunks.Query().Where(Range(partition, 0, ulong.MaxValue)).OrderByDescending("_id").ToEnumerable())
        {
            yield return Decode(doc);
        }
    }

    /// <summary>LiteDB's plan for a partition's range read (tests check it is an index range, not a scan).</summary>
    public BsonDocument ExplainRead(ulong partition, ulong fromIndex, ulong toIndex) =>
        _chunks.Query().Where(Range(partition, fromIndex, toIndex)).GetPlan();

    public void UpsertMeta(ulong partition, byte[] meta) =>
        _meta.Upsert(new BsonDocument { ["_id"] = new BsonValue(unchecked((long)partition)), [Meta] = new BsonValue(meta) });

    public void DeleteMeta(ulong partition) => _meta.Delete(new BsonValue(unchecked((long)partition)));

    public IEnumerable<(ulong Partition, byte[] Meta)> ReadAllMeta()
    {
        foreach (var doc in _meta.FindAll())
        {
            yield return (unchecked((ulong)doc["_id"].AsInt64), doc[Meta].IsBinary ? doc[Meta].AsBinary : []);
        }
    }

    public int CountChunks(ulong partition) => _chunks.Count(Range(partition, 0, ulong.MaxValue));

    private static BsonExpression Range(ulong partition, ulong fromIndex, ulong toIndex) =>
        Query.Between("_id", new BsonValue(ChunkKey.Create(partition, fromIndex)), new BsonValue(ChunkKey.Create(partition, toIndex)));

    private static (ulong, byte[], byte[]) Decode(BsonDocument doc)
    {
        var key = doc["_id"].AsBinary;
        ChunkKey.TryParse(key, out _, out var first);
        var payload = doc[Payload];
        return (first, key, payload.IsBinary ? payload.AsBinary : []);
    }
}
