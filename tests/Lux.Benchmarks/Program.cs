using Lux.Benchmarks;

// One scenario per run; each prints one JSON line per measured point (see docs/performance.md).
var scenarios = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["core"] = Lux.Benchmarks.Scenarios.CoreScenario.RunAsync,
    ["wal"] = Lux.Benchmarks.Scenarios.WalScenario.RunAsync,
    ["transport"] = Lux.Benchmarks.Scenarios.TransportScenario.RunAsync,
    ["snapshot"] = Lux.Benchmarks.Scenarios.SnapshotScenario.RunAsync,
    ["e2e"] = Lux.Benchmarks.Scenarios.E2eScenario.RunAsync,
    ["multi"] = Lux.Benchmarks.Scenarios.MultiScenario.RunAsync,
    ["failover"] = Lux.Benchmarks.Scenarios.FailoverScenario.RunAsync,
    ["path"] = Lux.Benchmarks.Scenarios.PathScenario.RunAsync,
};

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Lux.Benchmarks <{string.Join("|", scenarios.Keys)}> [options]");
    return 2;
}
return await run(args[1..]);
