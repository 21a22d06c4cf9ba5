namespace Lux.Raft.Transport.Tests.Codec;

public static class Crc32CState
{
    public const uint Seed = Lux.Raft.Transport.Codec.Crc32C.Seed;
}
