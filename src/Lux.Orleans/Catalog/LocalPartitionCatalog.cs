using System.Text.Json;
using Lux.Orleans.Replication;
using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Orleans.Catalog;

/// <summary>
/// The partitions a silo hosts, and the silo names it has learned, kept in <c>lux-catalog.json</c> in its data
/// directory so a restart (of this silo or of the whole cluster) reopens every replica without any external store.
/// A change is durable when its task completes: the file is rewritten through a synced temporary file, an atomic rename
/// and a sync of the directory. Changes made while a rewrite is under way share the next one (group commit), so
/// creating many partitions at once costs a few rewrites, not one per partition.
/// </summary>
internal sealed class LocalPartitionCatalog : IDisposable
{
    public const string FileName = "lux-catalog.json";
    private readonly string _path;
    private readonly string _directory;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Dictionary<string, PartitionDescriptor> _partitions = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _silos = new(StringComparer.Ordinal);

    /// <summary>Bumped by every change (under <see cref="_lock"/>).</summary>
    private long _version;

    /// <summary>The highest version known to be on disk.</summary>
    private long _durableVersion;

    public LocalPartitionCatalog(string dataDirectory)
    {
        _directory = Path.GetFullPath(dataDirectory);
        _path = Path.Combine(_directory, FileName);
        if (!File.Exists(_path)) return;
        var document = JsonSerializer.Deserialize<CatalogDocument>(File.ReadAllBytes(_path))
            ?? throw new InvalidDataException($"{_path} is empty");
        foreach (var p in document.Partitions)
        {
            _partitions[p.PartitionId] = new PartitionDescriptor { PartitionId = p.PartitionId, StateMachine = p.StateMachine, InitialVoters = p.InitialVoters };
        }
        foreach (var s in document.Silos) _silos.Add(s);
    }

    public IReadOnlyList<PartitionDescriptor> Partitions
    {
        get { lock (_lock) return _partitions.Values.ToArray(); }
    }

    public IReadOnlyList<string> Silos
    {
        get { lock (_lock) return _silos.ToArray(); }
    }

    /// <summary>How many times the file has been rewritten since this instance opened it.</summary>
    public long Writes { get; private set; }

    /// <summary>Records a partition unless it is already there; completes once the record is durable.</summary>
    public ValueTask AddAsync(PartitionDescriptor descriptor, CancellationToken cancellationToken)
    {
        long version;
        lock (_lock)
        {
            if (!_partitions.TryAdd(descriptor.PartitionId, descriptor)) return PersistAsync(_version, cancellationToken);
            foreach (var s in descriptor.InitialVoters) _silos.Add(s);
            version = ++_version;
        }
        return PersistAsync(version, cancellationToken);
    }

    /// <summary>Forgets a partition; completes once that is durable.</summary>
    public ValueTask RemoveAsync(string partitionId, CancellationToken cancellationToken)
    {
        long version;
        lock (_lock)
        {
            if (!_partitions.Remove(partitionId)) return ValueTask.CompletedTask;
            version = ++_version;
        }
        return PersistAsync(version, cancellationToken);
    }

    /// <summary>Records silo names so replica ids can be mapped back to silos after a restart; completes once durable.</summary>
    public ValueTask AddSilosAsync(IEnumerable<string> silos, CancellationToken cancellationToken)
    {
        long version;
        lock (_lock)
        {
            var changed = false;
            foreach (var s in silos) changed |= _silos.Add(s);
            if (!changed) return ValueTask.CompletedTask;
            version = ++_version;
        }
        return PersistAsync(version, cancellationToken);
    }

    /// <summary>
    /// Waits until <paramref name="version"/> is on disk. Whoever holds the writer writes everything changed so far, so
    /// a caller that waited for the writer usually finds its change already covered.
    /// </summary>
    private async ValueTask PersistAsync(long version, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _durableVersion) >= version) return;
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_durableVersion >= version) return;
            CatalogDocument document;
            long covered;
            lock (_lock)
            {
                covered = _version;
                document = new CatalogDocument(
                    _partitions.Values.OrderBy(p => p.PartitionId, StringComparer.Ordinal)
                        .Select(p => new CatalogEntry(p.PartitionId, p.StateMachine, p.InitialVoters.ToArray())).ToArray(),
                    _silos.ToArray());
            }
            await Task.Run(() => Write(document), CancellationToken.None).ConfigureAwait(false);
            Writes++;
            Volatile.Write(ref _durableVersion, covered);
        }
        finally
        {
            _writer.Release();
        }
    }

    private void Write(CatalogDocument document)
    {
        var temp = _path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, document);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
        // The rename is durable only once the directory entry is.
        DirectorySync.Sync(_directory);
    }

    public void Dispose() => _writer.Dispose();

    private sealed record CatalogDocument(CatalogEntry[] Partitions, string[] Silos);

    private sealed record CatalogEntry(string PartitionId, string StateMachine, string[] InitialVoters);
}
