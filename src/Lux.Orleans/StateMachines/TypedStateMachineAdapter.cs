using Lux.Raft.StateMachine;

namespace Lux.Orleans.StateMachines;

/// <summary>
/// Presents an <see cref="IRaftStateMachine{TCommand, TQuery, TResult}"/> as the core's byte-level
/// <see cref="IStateMachine"/>. A command that does not decode, or decodes to another type, is refused deterministically
/// (every replica sees the same bytes), so a bad proposal cannot stop the partition.
/// </summary>
internal sealed class TypedStateMachineAdapter<TCommand, TQuery, TResult>(
    IRaftStateMachine<TCommand, TQuery, TResult> machine, IRaftPayloadCodec codec) : IStateMachine
{
    public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command)
    {
        var decoded = DecodeAs<TCommand>(command, "command");
        return codec.Encode(machine.Apply(index, decoded));
    }

    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) =>
        codec.Encode(machine.Query(DecodeAs<TQuery>(query, "query")));

    public ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default) =>
        machine.WriteSnapshotAsync(destination, cancellationToken);

    public ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default) =>
        machine.ReadSnapshotAsync(source, cancellationToken);

    private T DecodeAs<T>(ReadOnlyMemory<byte> data, string what)
    {
        object? value;
        try
        {
            value = codec.Decode(data);
        }
        catch (InvalidDataException e)
        {
            throw new CommandRejectedException($"the {what} cannot be decoded: {e.Message}", e);
        }
        return value is T typed
            ? typed
            : throw new CommandRejectedException($"the {what} is a {value?.GetType().Name ?? "null"}, this state machine takes {typeof(T).Name}");
    }
}
