using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Security;

namespace Lux.Raft.Transport.Tests.Support;

/// <summary>A hand-driven TCP client speaking (or mis-speaking) the wire protocol, for hostile-input and handshake tests.</summary>
public sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[4096];
    private int _buffered;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawPeer> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawPeer(socket);
    }

    public byte[] LastClientProof { get; private set; } = [];

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends bytes, tolerating a server that already hung up (it may close on the first bad byte).</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await SendAsync(bytes);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Reads one frame the server sends.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync()
    {
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _buffered);
            if (FrameCodec.TryReadFrame(ref sequence, 1, 1 << 20, out var header, out var payload))
            {
                var result = (header, payload.ToArray());
                var consumed = _buffered - (int)sequence.Length;
                Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _buffered - consumed);
                _buffered -= consumed;
                return result;
            }
            if (_buffered == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var n = await _stream.ReadAsync(_buffer.AsMemory(_buffered));
            if (n == 0) throw new IOException("server closed the connection");
            _buffered += n;
        }
    }

    /// <summary>True once the server has closed the connection (end of stream or reset), reading and discarding what it sends.</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var scratch = new byte[1024];
        try
        {
            while (await _stream.ReadAsync(scratch, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs the client side of the handshake; <paramref name="proofOverride"/> replaces the computed proof.</summary>
    public async Task<byte[]> HandshakeAsync(string secret, string nodeId, string target, byte[]? proofOverride = null)
    {
        var auth = new ClusterAuthenticator(System.Text.Encoding.UTF8.GetBytes(secret));
        var nonce = ClusterAuthenticator.NewNonce();
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteHello(writer, new HelloFrame(1, 1, nonce, nodeId, target));
        await SendAsync(writer.WrittenMemory);
        var (header, payload) = await ReadFrameAsync();
        if (header.Type != (byte)FrameType.Challenge) throw new InvalidOperationException($"expected a challenge, got 0x{header.Type:X2}");
        var challenge = FrameCodec.ReadChallenge(payload);
        var proof = proofOverride ?? auth.ClientProof(nonce, challenge.Nonce, nodeId, challenge.NodeId, challenge.Version);
        LastClientProof = proof;
        writer.Clear();
        FrameCodec.WriteProof(writer, proof);
        await SendAsync(writer.WrittenMemory);
        return challenge.Proof;
    }

    /// <summary>Waits for the server's Welcome; false if it closed instead.</summary>
    public async Task<bool> WelcomedAsync()
    {
        try
        {
            var (header, _) = await ReadFrameAsync();
            return header.Type == (byte)FrameType.Welcome;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static byte[] MessageFrame(ulong partitionId, Message message)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteMessage(writer, partitionId, message);
        return writer.WrittenSpan.ToArray();
    }

    public void Reset()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Reset();
        await _stream.DisposeAsync();
    }
}
