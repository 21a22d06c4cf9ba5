using System.Text;
using Lux.Orleans;
using Lux.Orleans.Builtins.Log;
using Lux.Samples.DistributedLog;

namespace Lux.Samples.Tests;

/// <summary>The distributed log sample's client API, end to end on a three-silo in-process cluster.</summary>
public sealed class DistributedLogTests
{
    [Fact]
    public async Task Concurrent_appends_get_unique_gap_free_offsets_and_every_record_reads_back()
    {
        await using var cluster = await SampleCluster.StartAsync();
        var log = await DistributedLogClient.CreateAsync(cluster.Client, "events");
        Assert.Equal(0, await log.LengthAsync());

        var appended = await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var mine = new List<(long Offset, string Text)>();
            for (var i = 0; i < 25; i++)
            {
                var text = $"writer {writer} record {i}";
                mine.Add((await log.AppendAsync(Encoding.UTF8.GetBytes(text)), text));
            }
            return mine;
        })));
        var all = appended.SelectMany(a => a).ToArray();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), all.Select(a => a.Offset).Order());
        foreach (var writer in appended) Assert.Equal(writer.Select(a => a.Offset).Order(), writer.Select(a => a.Offset));
        foreach (var (offset, text) in all) Assert.Equal(text, Encoding.UTF8.GetString((await log.ReadAsync(offset))!));
        Assert.Equal(200, await log.LengthAsync());
        Assert.Null(await log.ReadAsync(200));
        var scanned = new List<string>();
        await foreach (var (_, record) in log.ReadAllAsync(150)) scanned.Add(Encoding.UTF8.GetString(record));
        Assert.Equal(all.OrderBy(a => a.Offset).Skip(150).Select(a => a.Text), scanned);
    }

    [Fact]
    public async Task Records_survive_the_loss_of_a_silo_and_appends_continue()
    {
        await using var cluster = await SampleCluster.StartAsync();
        var log = await DistributedLogClient.CreateAsync(cluster.Client, "audit");
        for (var i = 0; i < 20; i++) Assert.Equal(i, await log.AppendAsync([(byte)i]));
        var leader = (await cluster.Client.GetRaftPartition("audit").GetStatusAsync()).Leader!;

        await cluster.KillAsync(leader, CancellationToken.None);

        Assert.Equal(20, await log.AppendAsync([20]));
        var records = await log.ReadRangeAsync(0, 100);
        Assert.Equal(Enumerable.Range(0, 21).Select(i => (byte)i), records.Select(r => Assert.Single(r)));
    }

    [Fact]
    public async Task An_oversized_record_is_refused_and_takes_no_offset()
    {
        await using var cluster = await SampleCluster.StartAsync(silos: 1);
        var log = await DistributedLogClient.CreateAsync(cluster.Client, "big", replicationFactor: 1);

        var tooBig = new byte[AppendOnlyLogStateMachine.MaxRecordBytes + 1];

        await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(tooBig));
        await Assert.ThrowsAsync<RaftCommandRejectedException>(() => cluster.Client.GetRaftPartition("big").ProposeAsync(new LogAppend { Record = tooBig }));

        Assert.Equal(0, await log.AppendAsync([1]));
    }
}
