using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Tests.Codec;

public sealed class Crc32CTests(ITestOutputHelper output)
{
    /// <summary>The textbook bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): what the fast paths must equal.</summary>
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void Interleaved_rounds_give_the_same_checksum_as_one_chain_for_every_length_around_the_round_size()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var data = new byte[4 * Crc32C.InterleavedRound + 64];
        random.NextBytes(data);
        for (var length = 0; length < data.Length; length++)
        {
            var offset = random.Next(0, data.Length - length + 1);
            var slice = data.AsSpan(offset, length);
            Assert.Equal(Reference(slice), Crc32C.Compute(slice));
        }
    }

    [Fact]
    public void A_checksum_built_piece_by_piece_equals_the_whole()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var data = new byte[64 * 1024];
        random.NextBytes(data);
        for (var trial = 0; trial < 50; trial++)
        {
            var state = Crc32C.Seed;
            var position = 0;
            while (position < data.Length)
            {
                var n = Math.Min(data.Length - position, random.Next(0, 3 * Crc32C.InterleavedRound));
                state = Crc32C.Append(state, data.AsSpan(position, n));
                position += n;
            }
            Assert.Equal(Reference(data), Crc32C.Finish(state));
        }
    }
}
