using System.Buffers;
using System.IO.Pipelines;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>
/// Reads whole frames from a pipe, one at a time. The current frame's payload stays valid until the next call. The pipe
/// only ever holds bytes that actually arrived: a header announcing a large length allocates nothing until the payload
/// is there, and the length is checked against the limit before any of it is awaited.
/// </summary>
internal sealed class FrameInput(PipeReader reader)
{
    private ReadOnlySequence<byte> _buffer;
    private bool _holding;
    private bool _completed;
    private long _partialSince;

    public FrameHeader Header { get; private set; }

    public ReadOnlySequence<byte> Payload { get; private set; }

    /// <summary>Wire version frames must carry; agreed in the handshake.</summary>
    public byte Version { get; set; } = FrameHeader.CurrentVersion;

    /// <summary>When an incomplete frame started waiting for bytes (<see cref="Environment.TickCount64"/>), or 0.</summary>
    public long PartialSince => Volatile.Read(ref _partialSince);

    /// <summary>Reads the next frame.</summary>
    /// <returns>False when the remote closed the stream cleanly between frames.</returns>
    /// <exception cref="ProtocolViolationException">The bytes break the format, or the stream ends inside a frame.</exception>
    public async ValueTask<bool> NextAsync(int maxLength, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_holding)
            {
                if (FrameCodec.TryReadFrame(ref _buffer, Version, maxLength, out var header, out var payload))
                {
                    Header = header;
                    Payload = payload;
                    Volatile.Write(ref _partialSince, 0);
                    return true;
                }
                var pending = _buffer.Length;
                reader.AdvanceTo(_buffer.Start, _buffer.End);
                _holding = false;
                if (_completed)
                {
                    if (pending > 0) throw new ProtocolViolationException($"stream ended inside a frame ({pending} bytes pending)");
                    return false;
                }
                if (pending > 0 && PartialSince == 0) Volatile.Write(ref _partialSince, Environment.TickCount64);
            }
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled) throw new OperationCanceledException("read canceled");
            _buffer = result.Buffer;
            _completed = result.IsCompleted;
            _holding = true;
        }
    }

    /// <summary>Takes the next frame if it is already buffered whole; never waits.</summary>
    public bool TryNext(int maxLength)
    {
        if (!_holding || !FrameCodec.TryReadFrame(ref _buffer, Version, maxLength, out var header, out var payload)) return false;
        Header = header;
        Payload = payload;
        Volatile.Write(ref _partialSince, 0);
        return true;
    }

    /// <summary>Gives the pipe back what was consumed; call once, when done reading.</summary>
    public void Release()
    {
        if (!_holding) return;
        _holding = false;
        reader.AdvanceTo(_buffer.Start, _buffer.Start);
    }
}
