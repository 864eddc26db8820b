using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KafkaOperator.Kube.Tests;

/// <summary>A throwaway PKI made in the test: a CA, a server certificate for 127.0.0.1 and a client certificate.</summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 ca, ECDsa caKey, X509Certificate2 server, X509Certificate2 client, ECDsa clientKey)
    {
        Ca = ca;
        CaKey = caKey;
        Server = server;
        Client = client;
        ClientKey = clientKey;
    }

    public X509Certificate2 Ca { get; }
    public ECDsa CaKey { get; }
    public X509Certificate2 Server { get; }
    public X509Certificate2 Client { get; }
    public ECDsa ClientKey { get; }

    public string CaPem => Ca.ExportCertificatePem();
    public string ClientCertPem => Client.ExportCertificatePem();

    /// <summary>SEC1 "EC PRIVATE KEY", the form kubeadm writes.</summary>
    public string ClientKeyPem => ClientKey.ExportECPrivateKeyPem();

    public static TestCertificates Create(string caName = "CN=test-ca")
    {
        var now = DateTimeOffset.UtcNow;
        var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(caName, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var serverPublic = serverRequest.Create(ca, now.AddHours(-1), now.AddDays(1), [1, 2, 3, 4]);
        var server = serverPublic.CopyWithPrivateKey(serverKey);

        var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientRequest = new CertificateRequest("CN=kafka-operator, O=system:masters", clientKey, HashAlgorithmName.SHA256);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var client = clientRequest.Create(ca, now.AddHours(-1), now.AddDays(1), [5, 6, 7, 8]);
        return new TestCertificates(ca, caKey, server, client, clientKey);
    }

    public void Dispose()
    {
        Ca.Dispose();
        CaKey.Dispose();
        Server.Dispose();
        Client.Dispose();
        ClientKey.Dispose();
    }
}

/// <summary>A temporary directory removed at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("kube-tests-").FullName;
    }

    public string Path { get; }

    public string Write(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
