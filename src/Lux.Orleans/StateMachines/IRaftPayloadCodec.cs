namespace Lux.Orleans.StateMachines;

/// <summary>
/// Turns commands, queries and results into the bytes the log and the snapshots carry, and back. Every silo of a cluster
/// must use the same codec. The default, <see cref="OrleansRaftPayloadCodec"/>, uses Orleans' serializer; register your
/// own as a singleton <see cref="IRaftPayloadCodec"/> before <c>AddLuxRaft</c> to replace it.
/// </summary>
public interface IRaftPayloadCodec
{
    /// <summary>Encodes <paramref name="value"/> (null allowed) with enough type information to decode it alone.</summary>
    byte[] Encode(object? value);

    /// <summary>Decodes what <see cref="Encode"/> produced.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a value this codec wrote.</exception>
    object? Decode(ReadOnlyMemory<byte> data);
}
