using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Security;

namespace Lux.Raft.Transport.Sessions;

/// <summary>A peer failed to prove it belongs to the cluster, or proved it is not who it was meant to be.</summary>
internal sealed class AuthenticationRefusedException(string reason) : Exception(reason);

/// <summary>
/// The opening exchange of every connection, before any Raft frame is accepted:
/// <code>
/// client → Hello(versions, client nonce, client id, expected server id)
/// server → Challenge(version, server nonce, server id, server proof)
/// client → Proof(client proof)
/// server → Welcome
/// </code>
/// Handshake frames always use version 1 headers and a 1 KiB payload limit, whatever version the connection then speaks.
/// With a cluster secret, each proof is an HMAC over both nonces and both ids (see <see cref="ClusterAuthenticator"/>).
/// Without one, the link must have come through mutual TLS and the proofs are empty.
/// </summary>
internal static class Handshake
{
    public const byte MinVersion = 1;
    public const byte MaxVersion = FrameHeader.CurrentVersion;

    /// <returns>The wire version agreed.</returns>
    public static async ValueTask<byte> ClientAsync(PeerLink link, FrameInput input, ClusterAuthenticator auth, string localId, string expectedPeer, CancellationToken ct)
    {
        var clientNonce = ClusterAuthenticator.NewNonce();
        FrameCodec.WriteHello(link.Output, new HelloFrame(MinVersion, MaxVersion, clientNonce, localId, expectedPeer));
        await FlushAsync(link, ct).ConfigureAwait(false);

        await ExpectAsync(input, FrameType.Challenge, ct).ConfigureAwait(false);
        var challenge = FrameCodec.ReadChallenge(Contiguous(input));
        if (challenge.Version is < MinVersion or > MaxVersion) throw new AuthenticationRefusedException($"server chose unsupported version {challenge.Version}");
        if (challenge.NodeId != expectedPeer) throw new AuthenticationRefusedException($"reached node '{challenge.NodeId}', expected '{expectedPeer}'");
        if (auth.HasSecret)
        {
            var expected = auth.ServerProof(clientNonce, challenge.Nonce, localId, challenge.NodeId, challenge.Version);
            if (!ClusterAuthenticator.Matches(expected, challenge.Proof)) throw new AuthenticationRefusedException("server could not prove the cluster secret");
        }
        FrameCodec.WriteProof(link.Output, auth.ClientProof(clientNonce, challenge.Nonce, localId, challenge.NodeId, challenge.Version));
        await FlushAsync(link, ct).ConfigureAwait(false);

        await ExpectAsync(input, FrameType.Welcome, ct).ConfigureAwait(false);
        if (input.Payload.Length != 0) throw new ProtocolViolationException("welcome with a payload");
        return challenge.Version;
    }

    /// <returns>The authenticated peer's node id and the wire version agreed.</returns>
    public static async ValueTask<(string Peer, byte Version)> ServerAsync(PeerLink link, FrameInput input, ClusterAuthenticator auth, string localId, CancellationToken ct)
    {
        await ExpectAsync(input, FrameType.Hello, ct).ConfigureAwait(false);
        var hello = FrameCodec.ReadHello(Contiguous(input));
        if (hello.TargetNodeId != localId) throw new AuthenticationRefusedException($"hello from '{hello.NodeId}' is addressed to '{hello.TargetNodeId}'");
        if (hello.MaxVersion < MinVersion || hello.MinVersion > MaxVersion)
            throw new AuthenticationRefusedException($"no common version ({hello.MinVersion}..{hello.MaxVersion})");
        var version = Math.Min(hello.MaxVersion, MaxVersion);
        if (!auth.HasSecret && link.RemoteCertificate is null) throw new AuthenticationRefusedException("no cluster secret and no client certificate");

        var serverNonce = ClusterAuthenticator.NewNonce();
        FrameCodec.WriteChallenge(link.Output, new ChallengeFrame(version, serverNonce, localId,
            auth.ServerProof(hello.Nonce, serverNonce, hello.NodeId, localId, version)));
        await FlushAsync(link, ct).ConfigureAwait(false);

        await ExpectAsync(input, FrameType.Proof, ct).ConfigureAwait(false);
        var proof = FrameCodec.ReadProof(Contiguous(input));
        if (auth.HasSecret && !ClusterAuthenticator.Matches(auth.ClientProof(hello.Nonce, serverNonce, hello.NodeId, localId, version), proof))
            throw new AuthenticationRefusedException($"'{hello.NodeId}' failed to prove the cluster secret");

        FrameCodec.WriteEmpty(link.Output, FrameType.Welcome);
        await FlushAsync(link, ct).ConfigureAwait(false);
        return (hello.NodeId, version);
    }

    private static async ValueTask ExpectAsync(FrameInput input, FrameType type, CancellationToken ct)
    {
        input.Version = FrameHeader.CurrentVersion;
        if (!await input.NextAsync(FrameCodec.MaxHandshakePayload, ct).ConfigureAwait(false))
            throw new AuthenticationRefusedException($"connection closed while waiting for {type}");
        if (input.Header.Type != (byte)type) throw new ProtocolViolationException($"expected {type} in the handshake, got frame type 0x{input.Header.Type:X2}");
        if (input.Header.PartitionId != 0) throw new ProtocolViolationException("handshake frame with a partition id");
    }

    private static ReadOnlySpan<byte> Contiguous(FrameInput input) =>
        input.Payload.IsSingleSegment ? input.Payload.FirstSpan : System.Buffers.BuffersExtensions.ToArray(input.Payload);

    private static async ValueTask FlushAsync(PeerLink link, CancellationToken ct)
    {
        var result = await link.Output.FlushAsync(ct).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled) throw new IOException("link closed during the handshake");
    }
}
