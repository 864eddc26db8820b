using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace KafkaOperator.Kube.Config;

/// <summary>
/// Finds API server settings the way kubectl and client-go do: in-cluster (service account token and CA) when running
/// in a pod, else $KUBECONFIG (first file) or ~/.kube/config with its current context. Anything missing or
/// unsupported (exec plugins, auth providers) throws <see cref="KubeConfigException"/> naming the problem.
/// </summary>
public static class KubeConfig
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static KubeClientOptions Load() => Load(Environment.GetEnvironmentVariable, ServiceAccountDirectory);

    /// <summary>True when the pod environment and service account token are present.</summary>
    public static bool IsInCluster() => IsInCluster(Environment.GetEnvironmentVariable, ServiceAccountDirectory);

    /// <summary>Loads a kubeconfig file; <paramref name="context"/> overrides its current-context.</summary>
    public static KubeClientOptions FromFile(string path, string? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new KubeConfigException($"kubeconfig '{path}' does not exist");
        }
        return FromYaml(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path)), context);
    }

    /// <summary>Parses kubeconfig YAML; relative file paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static KubeClientOptions FromYaml(string yaml, string? baseDirectory = null, string? context = null)
    {
        KubeConfigFile file;
        try
        {
            file = new DeserializerBuilder().IgnoreUnmatchedProperties().Build().Deserialize<KubeConfigFile>(yaml) ?? new KubeConfigFile();
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"kubeconfig is not valid YAML: {e.Message}", e);
        }
        var contextName = context ?? file.CurrentContext;
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubeConfigException("kubeconfig has no current-context and none was given");
        }
        var ctx = file.Contexts?.FirstOrDefault(c => c.Name == contextName)?.Context
            ?? throw new KubeConfigException($"kubeconfig has no context '{contextName}'");
        var cluster = file.Clusters?.FirstOrDefault(c => c.Name == ctx.Cluster)?.Cluster
            ?? throw new KubeConfigException($"context '{contextName}' refers to cluster '{ctx.Cluster}', which kubeconfig does not define");
        var user = file.Users?.FirstOrDefault(u => u.Name == ctx.User)?.User;
        if (user is null && !string.IsNullOrEmpty(ctx.User))
        {
            throw new KubeConfigException($"context '{contextName}' refers to user '{ctx.User}', which kubeconfig does not define");
        }
        if (string.IsNullOrEmpty(cluster.Server) || !Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server))
        {
            throw new KubeConfigException($"cluster '{ctx.Cluster}' has no valid server URL ('{cluster.Server}')");
        }
        var baseDir = baseDirectory ?? Directory.GetCurrentDirectory();
        string? Resolve(string? p) => string.IsNullOrEmpty(p) ? null : Path.IsPathRooted(p) ? p : Path.Combine(baseDir, p);

        var caPem = Decode(cluster.CertificateAuthorityData, "certificate-authority-data") ?? ReadFile(Resolve(cluster.CertificateAuthority), "certificate-authority");
        var certPem = Decode(user?.ClientCertificateData, "client-certificate-data") ?? ReadFile(Resolve(user?.ClientCertificate), "client-certificate");
        var keyPem = Decode(user?.ClientKeyData, "client-key-data") ?? ReadFile(Resolve(user?.ClientKey), "client-key");
        if ((certPem is null) != (keyPem is null))
        {
            throw new KubeConfigException($"user '{ctx.User}' has a client certificate without its key, or a key without its certificate");
        }

        Func<CancellationToken, ValueTask<string?>>? tokenProvider = null;
        if (!string.IsNullOrEmpty(user?.Token))
        {
            var token = user.Token;
            tokenProvider = _ => ValueTask.FromResult<string?>(token);
        }
        else if (Resolve(user?.TokenFile) is { } tokenFile)
        {
            tokenProvider = new FileTokenProvider(tokenFile).GetTokenAsync;
        }
        else if (certPem is null && (user?.Exec is not null || user?.AuthProvider is not null))
        {
            throw new KubeConfigException($"user '{ctx.User}' authenticates with an exec plugin or auth provider, which this client does not support; use a token or client certificate");
        }

        return new KubeClientOptions
        {
            BaseAddress = server,
            DefaultNamespace = string.IsNullOrEmpty(ctx.Namespace) ? "default" : ctx.Namespace,
            TokenProvider = tokenProvider,
            ClientCertificate = certPem is null ? null : LoadClientCertificate(certPem, keyPem!),
            CertificateAuthorities = caPem is null ? null : LoadAuthorities(caPem),
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
        };
    }

    /// <summary>The pod's service account: token (re-read on rotation), CA and namespace.</summary>
    public static KubeClientOptions InCluster(string? serviceAccountDirectory = null, string? host = null, string? port = null, TimeProvider? time = null)
    {
        var dir = serviceAccountDirectory ?? ServiceAccountDirectory;
        host ??= Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        port ??= Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubeConfigException("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
        }
        var tokenPath = Path.Combine(dir, "token");
        if (!File.Exists(tokenPath))
        {
            throw new KubeConfigException($"no service account token at '{tokenPath}'");
        }
        var caPath = Path.Combine(dir, "ca.crt");
        var namespacePath = Path.Combine(dir, "namespace");
        var hostPart = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return new KubeClientOptions
        {
            BaseAddress = new Uri($"https://{hostPart}:{port}/"),
            DefaultNamespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : "default",
            TokenProvider = new FileTokenProvider(tokenPath, time).GetTokenAsync,
            CertificateAuthorities = File.Exists(caPath) ? LoadAuthorities(File.ReadAllText(caPath)) : null,
        };
    }

    internal static KubeClientOptions Load(Func<string, string?> environment, string serviceAccountDirectory)
    {
        if (IsInCluster(environment, serviceAccountDirectory))
        {
            return InCluster(serviceAccountDirectory, environment("KUBERNETES_SERVICE_HOST"), environment("KUBERNETES_SERVICE_PORT"));
        }
        var path = environment("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (string.IsNullOrEmpty(path))
        {
            var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            path = Path.Combine(home, ".kube", "config");
        }
        return FromFile(path);
    }

    private static bool IsInCluster(Func<string, string?> environment, string serviceAccountDirectory) =>
        !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST"))
        && !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_PORT"))
        && File.Exists(Path.Combine(serviceAccountDirectory, "token"));

    private static X509Certificate2 LoadClientCertificate(string certPem, string keyPem)
    {
        try
        {
            return X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new KubeConfigException($"cannot load the client certificate and key: {e.Message}", e);
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string pem)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new KubeConfigException($"cannot load the certificate authority: {e.Message}", e);
        }
        if (roots.Count == 0)
        {
            throw new KubeConfigException("the certificate authority holds no PEM certificate");
        }
        return roots;
    }

    private static string? Decode(string? base64, string field)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return null;
        }
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException e)
        {
            throw new KubeConfigException($"{field} is not valid base64", e);
        }
    }

    private static string? ReadFile(string? path, string field)
    {
        if (path is null)
        {
            return null;
        }
        if (!File.Exists(path))
        {
            throw new KubeConfigException($"{field} file '{path}' does not exist");
        }
        return File.ReadAllText(path);
    }
}

public sealed class KubeConfigException : Exception
{
    public KubeConfigException()
    {
    }

    public KubeConfigException(string message)
        : base(message)
    {
    }

    public KubeConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
