using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Security;

/// <summary>
/// The cluster-secret challenge-response. Each side sends a fresh nonce; each proves it knows the secret with
/// HMAC-SHA256(secret, role label | client nonce | server nonce | client id | server id | version). Roles have different
/// labels, so a server's proof can never be replayed as a client's; fresh nonces make every old proof useless.
/// </summary>
internal sealed class ClusterAuthenticator(byte[]? secret)
{
    private static readonly byte[] ClientLabel = "lux-raft-channel/client"u8.ToArray();
    private static readonly byte[] ServerLabel = "lux-raft-channel/server"u8.ToArray();

    public bool HasSecret => secret is not null;

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(FrameCodec.NonceSize);

    public byte[] ClientProof(byte[] clientNonce, byte[] serverNonce, string clientId, string serverId, byte version) =>
        Proof(ClientLabel, clientNonce, serverNonce, clientId, serverId, version);

    public byte[] ServerProof(byte[] clientNonce, byte[] serverNonce, string clientId, string serverId, byte version) =>
        Proof(ServerLabel, clientNonce, serverNonce, clientId, serverId, version);

    /// <summary>Compares in constant time, so the comparison leaks nothing about the expected proof.</summary>
    public static bool Matches(byte[] expected, byte[] actual) => CryptographicOperations.FixedTimeEquals(expected, actual);

    private byte[] Proof(byte[] label, byte[] clientNonce, byte[] serverNonce, string clientId, string serverId, byte version)
    {
        if (secret is null) return [];
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(label);
        hmac.AppendData(clientNonce);
        hmac.AppendData(serverNonce);
        AppendString(hmac, clientId);
        AppendString(hmac, serverId);
        hmac.AppendData([version]);
        return hmac.GetHashAndReset();
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
