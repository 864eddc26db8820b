using System.Security.Cryptography.X509Certificates;

namespace KafkaOperator.Kube;

/// <summary>How to reach and authenticate to an API server. <see cref="Config.KubeConfig.Load"/> fills one in.</summary>
public sealed class KubeClientOptions
{
    public required Uri BaseAddress { get; init; }

    /// <summary>The namespace of the kubeconfig context, or of the pod's service account in-cluster.</summary>
    public string DefaultNamespace { get; init; } = "default";

    /// <summary>Called before each request; a null result sends no Authorization header.</summary>
    public Func<CancellationToken, ValueTask<string?>>? TokenProvider { get; init; }

    /// <summary>A client certificate with its private key (mutual TLS).</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Trust roots for the server certificate; when set, only they are trusted.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>Per-request timeout for non-watch requests.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Test hook: replaces the TLS-configured handler.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public string UserAgent { get; init; } = "kafka-operator";

    /// <summary>Items per list request; ListAsync follows "continue" tokens until the list is complete.</summary>
    public int ListPageSize { get; init; } = 500;

    public static KubeClientOptions ForBaseAddress(Uri baseAddress) => new() { BaseAddress = baseAddress };
}
