using System.Text.Json;
using Lux.Orleans.Replication;

namespace Lux.Orleans.Catalog;

/// <summary>
/// The partitions a silo hosts, and the silo names it has learned, kept in <c>lux-catalog.json</c> in its data
/// directory so a restart (of this silo or of the whole cluster) reopens every replica without any external store.
/// Each change rewrites the file through a synced temporary file and an atomic rename.
/// </summary>
internal sealed class LocalPartitionCatalog
{
    public const string FileName = "lux-catalog.json";
    private readonly string _path;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PartitionDescriptor> _partitions = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _silos = new(StringComparer.Ordinal);

    public LocalPartitionCatalog(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, FileName);
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

    /// <summary>Records a partition (durably) unless it is already there.</summary>
    public void Add(PartitionDescriptor descriptor)
    {
        lock (_lock)
        {
            if (_partitions.ContainsKey(descriptor.PartitionId)) return;
            _partitions[descriptor.PartitionId] = descriptor;
            foreach (var s in descriptor.InitialVoters) _silos.Add(s);
            Save();
        }
    }

    public void Remove(string partitionId)
    {
        lock (_lock)
        {
            if (_partitions.Remove(partitionId)) Save();
        }
    }

    /// <summary>Records silo names (durably) so replica ids can be mapped back to silos after a restart.</summary>
    public void AddSilos(IEnumerable<string> silos)
    {
        lock (_lock)
        {
            var changed = false;
            foreach (var s in silos) changed |= _silos.Add(s);
            if (changed) Save();
        }
    }

    private void Save()
    {
        var document = new CatalogDocument(
            _partitions.Values.OrderBy(p => p.PartitionId, StringComparer.Ordinal)
                .Select(p => new CatalogEntry(p.PartitionId, p.StateMachine, p.InitialVoters.ToArray())).ToArray(),
            _silos.ToArray());
        var temp = _path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, document);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
    }

    private sealed record CatalogDocument(CatalogEntry[] Partitions, string[] Silos);

    private sealed record CatalogEntry(string PartitionId, string StateMachine, string[] InitialVoters);
}
