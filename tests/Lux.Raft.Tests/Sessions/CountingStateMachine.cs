using System.Buffers.Binary;
using System.Text;
using Lux.Raft.StateMachine;

namespace Lux.Raft.Tests.Sessions;

/// <summary>
/// A small key-value state machine for tests: "key=value" sets, "!reason" is refused; it counts how often each
/// command was applied, so a test can see a duplicate application.
/// </summary>
internal sealed class CountingStateMachine : IStateMachine
{
    public Dictionary<string, string> State { get; } = [];

    public Dictionary<string, int> Applications { get; } = [];

    public int ApplyCount { get; private set; }

    public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command)
    {
        var text = Encoding.UTF8.GetString(command.Span);
        if (text.StartsWith('!')) throw new CommandRejectedException(text[1..]);
        ApplyCount++;
        Applications[text] = Applications.GetValueOrDefault(text) + 1;
        var eq = text.IndexOf('=');
        var previous = State.GetValueOrDefault(text[..eq]) ?? "";
        State[text[..eq]] = text[(eq + 1)..];
        return Encoding.UTF8.GetBytes($"{index}:{previous}");
    }

    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) =>
        Encoding.UTF8.GetBytes(State.GetValueOrDefault(Encoding.UTF8.GetString(query.Span)) ?? "");

    public async ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in State.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var record = Encoding.UTF8.GetBytes(key + "=" + value);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, record.Length);
            await destination.WriteAsync(length, cancellationToken);
            await destination.WriteAsync(record, cancellationToken);
        }
    }

    public async ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default)
    {
        State.Clear();
        var length = new byte[4];
        while (await source.ReadAtLeastAsync(length, 4, throwOnEndOfStream: false, cancellationToken) == 4)
        {
            var record = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
            await source.ReadExactlyAsync(record, cancellationToken);
            var text = Encoding.UTF8.GetString(record);
            var eq = text.IndexOf('=');
            State[text[..eq]] = text[(eq + 1)..];
        }
    }
}
