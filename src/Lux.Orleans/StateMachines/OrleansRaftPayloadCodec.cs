using Orleans.Serialization;

namespace Lux.Orleans.StateMachines;

/// <summary>
/// The default codec: Orleans' serializer with the value's type recorded, so a command declared as a base type decodes
/// to its actual subtype. Types need <c>[GenerateSerializer]</c> (and stable <c>[Id]</c>s / <c>[Alias]</c>es, since the
/// log outlives a deployment).
/// </summary>
public sealed class OrleansRaftPayloadCodec(Serializer<object> serializer) : IRaftPayloadCodec
{
    /// <inheritdoc />
    public byte[] Encode(object? value) => serializer.SerializeToArray(value!);

    /// <inheritdoc />
    public object? Decode(ReadOnlyMemory<byte> data)
    {
        try
        {
            return serializer.Deserialize(data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"cannot decode a {data.Length}-byte payload: {e.Message}", e);
        }
    }
}
