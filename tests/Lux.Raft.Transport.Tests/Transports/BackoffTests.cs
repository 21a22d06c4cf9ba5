using Lux.Raft.Transport.Sessions;

namespace Lux.Raft.Transport.Tests.Transports;

public sealed class BackoffTests(ITestOutputHelper output)
{
    [Fact]
    public void Delays_double_up_to_the_cap_with_half_of_each_random()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var min = TimeSpan.FromMilliseconds(50);
        var max = TimeSpan.FromSeconds(5);
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var ceiling = TimeSpan.FromTicks(Math.Min(max.Ticks, min.Ticks * (1L << Math.Min(attempt, 20))));
            var delays = Enumerable.Range(0, 50).Select(_ => OutboundPeer.BackoffDelay(attempt, min, max, random)).ToList();
            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            // Jitter: fifty draws are not all the same, so peers that failed together do not retry together.
            Assert.True(delays.Distinct().Count() > 1, $"attempt {attempt} has no jitter");
        }
    }
}
