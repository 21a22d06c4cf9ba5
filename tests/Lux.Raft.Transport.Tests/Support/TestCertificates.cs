using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Lux.Raft.Transport.Tests.Support;

/// <summary>Self-signed cluster CAs and node certificates made in-process.</summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> Cluster = new(() => new TestCertificates("Lux test cluster CA"));
    private static readonly Lazy<TestCertificates> Rogue = new(() => new TestCertificates("Rogue CA"));

    public static TestCertificates ClusterCa => Cluster.Value;

    public static TestCertificates RogueCa => Rogue.Value;

    public X509Certificate2 Authority { get; }

    private TestCertificates(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public X509Certificate2Collection Trust => [X509CertificateLoader.LoadCertificate(Authority.RawData)];

    /// <summary>A node certificate signed by this authority, usable as server and client certificate.</summary>
    public X509Certificate2 Issue(string nodeId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(nodeId);
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(8);
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so the key is a persisted one TLS stacks accept on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
