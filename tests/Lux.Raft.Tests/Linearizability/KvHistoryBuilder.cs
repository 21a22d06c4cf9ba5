using Lux.Raft.Simulation.Linearizability;

namespace Lux.Raft.Tests.Linearizability;

/// <summary>Writes small key-value histories the way a reader would draw them: who did what, when it started and ended.</summary>
internal sealed class KvHistoryBuilder
{
    private readonly List<Operation> _ops = [];

    public IReadOnlyList<Operation> Operations => _ops;

    public KvHistoryBuilder Get(int client, string key, string? read, long call, long ret)
        => Add(new Operation(client, new KvInput(KvOpKind.Get, key), new KvOutput(read), call, ret));

    public KvHistoryBuilder Put(int client, string key, string value, long call, long ret)
        => Add(new Operation(client, new KvInput(KvOpKind.Put, key, value), new KvOutput(null), call, ret));

    public KvHistoryBuilder Cas(int client, string key, string? expected, string? value, bool swapped, long call, long ret)
        => Add(new Operation(client, new KvInput(KvOpKind.Cas, key, value, expected), new KvOutput(null, swapped), call, ret));

    public KvHistoryBuilder PutUnknown(int client, string key, string value, long call)
        => Add(new Operation(client, new KvInput(KvOpKind.Put, key, value), null, call, long.MaxValue));

    public KvHistoryBuilder CasUnknown(int client, string key, string? expected, string? value, long call)
        => Add(new Operation(client, new KvInput(KvOpKind.Cas, key, value, expected), null, call, long.MaxValue));

    public KvHistoryBuilder GetUnknown(int client, string key, long call)
        => Add(new Operation(client, new KvInput(KvOpKind.Get, key), null, call, long.MaxValue));

    private KvHistoryBuilder Add(Operation op)
    {
        _ops.Add(op);
        return this;
    }
}
