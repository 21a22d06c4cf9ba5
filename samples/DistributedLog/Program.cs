using System.Diagnostics;
using System.Text;
using Lux.Samples;
using Lux.Samples.DistributedLog;

// An append-only replicated log: appends from several writers get unique, gap-free offsets; every record is read back.
var gatewaysArg = ArgValue(args, "--gateways");
var records = int.TryParse(ArgValue(args, "--records"), out var n) && n > 0 ? n : 500;
var writers = int.TryParse(ArgValue(args, "--writers"), out var w) && w > 0 ? w : 8;
var clusterId = ArgValue(args, "--cluster-id") ?? "lux-log-demo";
var root = Path.Combine(Path.GetTempPath(), $"lux-log-demo-{Environment.ProcessId}");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

InProcessSilos? silos = null;
try
{
    int[] gateways;
    if (gatewaysArg is null)
    {
        Console.WriteLine($"starting 3 silos in this process (localhost clustering, LiteDB WAL in {root}) ...");
        silos = await InProcessSilos.StartAsync(3, root, clusterId, cancel.Token);
        gateways = silos.Silos.Select(s => s.GatewayPort).ToArray();
    }
    else gateways = gatewaysArg.Split(',').Select(int.Parse).ToArray();

    await using var client = await LocalClusterClient.ConnectAsync(gateways, clusterId, clusterId, TimeSpan.FromSeconds(60), cancel.Token);
    var log = await DistributedLogClient.CreateAsync(client.Client, "events", replicationFactor: 3, cancellationToken: cancel.Token);
    var start = await log.LengthAsync(cancellationToken: cancel.Token);
    Console.WriteLine($"log '{log.LogId}' has {start} records; appending {records} more from {writers} concurrent writers ...");

    var clock = Stopwatch.StartNew();
    var appended = new (long Offset, string Text)[records];
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
    {
        for (var i = Interlocked.Increment(ref next); i < records; i = Interlocked.Increment(ref next))
        {
            var text = $"event {i} from writer {writer}";
            appended[i] = (await log.AppendAsync(Encoding.UTF8.GetBytes(text), cancel.Token), text);
        }
    })));
    Console.WriteLine($"appended {records} records in {clock.Elapsed.TotalSeconds:F2} s ({records / clock.Elapsed.TotalSeconds:F0}/s)");

    var offsets = appended.Select(a => a.Offset).Order().ToArray();
    var gapFree = offsets.SequenceEqual(Enumerable.Range(0, records).Select(i => start + i));
    Console.WriteLine($"offsets {offsets[0]}..{offsets[^1]}: {(gapFree ? "unique and gap-free" : "NOT unique and gap-free")}");

    var mismatches = 0;
    foreach (var (offset, text) in appended)
    {
        var record = await log.ReadAsync(offset, cancellationToken: cancel.Token);
        if (record is null || Encoding.UTF8.GetString(record) != text) mismatches++;
    }
    var scanned = 0L;
    await foreach (var (offset, record) in log.ReadAllAsync(start, cancellationToken: cancel.Token))
    {
        if (scanned++ < 3) Console.WriteLine($"  [{offset}] {Encoding.UTF8.GetString(record)}");
    }
    Console.WriteLine($"read back {records} records by offset: {mismatches} mismatches; a scan from offset {start} saw {scanned} records");
    var passed = gapFree && mismatches == 0 && scanned == records;
    Console.WriteLine(passed ? "RESULT: PASS" : "RESULT: FAIL");
    return passed ? 0 : 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    return 130;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"DistributedLog: {e.GetType().Name}: {e.Message}");
    return 1;
}
finally
{
    if (silos is not null) await silos.DisposeAsync();
    // Also after a failed start, which leaves the directories of the silos that did start.
    if (gatewaysArg is null && Directory.Exists(root))
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
