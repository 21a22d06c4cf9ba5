using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Lux.Raft.Transport.Security;

/// <summary>
/// Decides whether a peer's TLS certificate belongs to the cluster: it is one of the trusted certificates (pinned), or it
/// chains to one of them used as the only root (a cluster CA). Host names are not checked: peers are found by node id and
/// address, and membership in the cluster is what the certificate proves.
/// </summary>
internal sealed class CertificateTrust(X509Certificate2Collection trusted)
{
    public bool IsTrusted(X509Certificate? certificate, out string reason)
    {
        if (certificate is null)
        {
            reason = "no certificate presented";
            return false;
        }
        using var presented = certificate as X509Certificate2 is { } c2 ? null : new X509Certificate2(certificate);
        var candidate = certificate as X509Certificate2 ?? presented!;
        foreach (var pinned in trusted)
        {
            if (pinned.RawDataMemory.Span.SequenceEqual(candidate.RawDataMemory.Span))
            {
                reason = "";
                return NotExpired(candidate, out reason);
            }
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (chain.Build(candidate))
        {
            reason = "";
            return true;
        }
        reason = "certificate is not trusted: " + string.Join(", ", chain.ChainStatus.Select(s => s.Status));
        return false;
    }

    /// <summary>A TLS validation callback that applies this trust and ignores host-name mismatches.</summary>
    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors, out string reason)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            reason = "no certificate presented";
            return false;
        }
        return IsTrusted(certificate, out reason);
    }

    private static bool NotExpired(X509Certificate2 certificate, out string reason)
    {
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            reason = "certificate is outside its validity period";
            return false;
        }
        reason = "";
        return true;
    }
}
