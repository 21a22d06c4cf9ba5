namespace Lux.Benchmarks.E2e;

/// <summary>
/// Every system the <c>e2e</c> scenario knows, by its output name; one line each. A factory receives the scenario's
/// arguments so that a system can read options of its own (for example <c>--dotnext-memory</c>).
/// </summary>
public static class E2eSystems
{
    public static readonly IReadOnlyDictionary<string, Func<string[], IE2eSystem>> All = new Dictionary<string, Func<string[], IE2eSystem>>(StringComparer.OrdinalIgnoreCase)
    {
        ["dotnext"] = args => new DotNextSystem(args),
        ["etcd"] = args => new EtcdSystem(args),
        ["lux-tcp"] = _ => new LuxSystem("tcp"),
        ["lux-http"] = _ => new LuxSystem("http"),
    };

    /// <summary>The baselines of BENCHMARKS.md: every line carries its ops/s ratio to each of them measured in the same run.</summary>
    public static readonly IReadOnlyList<string> Baselines = ["dotnext", "etcd"];
}
