using System.Text;
using k8s;
using k8s.Exceptions;
using k8s.Models;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

/// <summary>
/// Kubeconfigs read by KubernetesClient (contexts, tokens, client certificates, CAs, exec plugins) against the
/// in-process API server, through <see cref="KubeApi"/>.
/// </summary>
public sealed class KubeConfigTests
{
    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Kubeconfig(string server, string user, string current = "main", string clusterExtra = "") => $"""
        apiVersion: v1
        kind: Config
        current-context: {current}
        preferences: {"{}"}
        clusters:
        - name: main-cluster
          cluster:
            server: {server}
        {clusterExtra}
        - name: other-cluster
          cluster:
            server: https://other.example.com:6443
        contexts:
        - name: main
          context:
            cluster: main-cluster
            user: main-user
            namespace: kafka
        - name: other
          context:
            cluster: other-cluster
            user: main-user
        users:
        - name: main-user
          user:
        {user}
        """;

    private static KubernetesClientConfiguration Load(string yaml, string? context = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(yaml));
        return KubernetesClientConfiguration.BuildConfigFromConfigFile(stream, context);
    }

    [Fact]
    public async Task Token_from_kubeconfig_authenticates_requests()
    {
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { AcceptedTokens = ["s3cret"] });
        using var dir = new TempDir();
        var path = dir.Write("config", Kubeconfig(server.BaseAddress.ToString(), "    token: s3cret"));
        var config = KubeApi.LoadConfig(path);
        Assert.Equal("kafka", config.Namespace);

        var client = server.CreateClient(_ => config);
        Assert.Empty((await client.ListAsync<V1ConfigMap>("kafka")).Items);
        Assert.Equal("Bearer s3cret", server.Requests[^1].Authorization);

        var error = await Assert.ThrowsAsync<KubeApiException>(() => server.Client.ListAsync<V1ConfigMap>("kafka"));
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public void Current_context_selects_cluster_and_namespace_and_can_be_overridden()
    {
        var yaml = Kubeconfig("https://main.example.com:6443", "    token: t", current: "other");
        var current = Load(yaml);
        Assert.Equal("https://other.example.com:6443", current.Host.TrimEnd('/'));
        Assert.Null(current.Namespace);
        var main = Load(yaml, "main");
        Assert.Equal("https://main.example.com:6443", main.Host.TrimEnd('/'));
        Assert.Equal("kafka", main.Namespace);
        Assert.Throws<KubeConfigException>(() => Load(yaml, "missing"));
    }

    [Fact]
    public async Task An_exec_plugin_supplies_the_token()
    {
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { AcceptedTokens = ["from-exec"] });
        using var dir = new TempDir();
        // A credential plugin as cloud kubeconfigs use (aws eks get-token, gke-gcloud-auth-plugin, kubelogin):
        // it prints an ExecCredential, and the client sends its token.
        var calls = Path.Combine(dir.Path, "calls");
        var plugin = dir.Write("plugin.sh", "#!/bin/sh\n"
            + $"echo \"$KUBERNETES_EXEC_INFO\" >> '{calls}'\n"
            + "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"from-exec\"}}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var user = $"""
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {plugin}
                  interactiveMode: Never
            """;
        var client = server.CreateClient(_ => KubeApi.LoadConfig(dir.Write("config", Kubeconfig(server.BaseAddress.ToString(), user))));

        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "kafka", Name = "exec" } });
        Assert.Equal("Bearer from-exec", server.Requests[^1].Authorization);
        Assert.Contains("ExecCredential", File.ReadAllText(calls), StringComparison.Ordinal);
        Assert.NotNull(await client.GetAsync<V1ConfigMap>("kafka", "exec"));
    }

    [Fact]
    public async Task Client_certificate_and_ca_data_make_a_mutual_tls_connection()
    {
        using var pki = TestCertificates.Create();
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ServerCertificate = pki.Server, ClientCertificateAuthorities = [pki.Ca] });
        Assert.Equal("https", server.BaseAddress.Scheme);
        var user = $"    client-certificate-data: {B64(pki.ClientCertPem)}\n    client-key-data: {B64(pki.ClientKeyPem)}";
        var config = Load(Kubeconfig(server.BaseAddress.ToString(), user, clusterExtra: $"    certificate-authority-data: {B64(pki.CaPem)}"));

        var client = server.CreateClient(_ => config);
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "kafka", Name = "tls" } });
        Assert.Contains("CN=kafka-operator", server.Requests[^1].ClientCertificateSubject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_files_resolve_relative_to_the_kubeconfig()
    {
        using var pki = TestCertificates.Create();
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ServerCertificate = pki.Server, ClientCertificateAuthorities = [pki.Ca] });
        using var dir = new TempDir();
        dir.Write("ca.crt", pki.CaPem);
        dir.Write("client.crt", pki.ClientCertPem);
        dir.Write("client.key", pki.ClientKey.ExportPkcs8PrivateKeyPem());
        var path = dir.Write("config", Kubeconfig(server.BaseAddress.ToString(), "    client-certificate: client.crt\n    client-key: client.key",
            clusterExtra: "    certificate-authority: ca.crt"));
        var client = server.CreateClient(_ => KubeApi.LoadConfig(path));
        Assert.Empty((await client.ListAsync<V1Secret>("kafka")).Items);
    }

    [Fact]
    public async Task A_server_certificate_from_another_ca_is_rejected_unless_verification_is_skipped()
    {
        using var pki = TestCertificates.Create();
        using var otherPki = TestCertificates.Create("CN=other-ca");
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ServerCertificate = pki.Server });
        var wrongCa = server.CreateClient(_ => Load(Kubeconfig(server.BaseAddress.ToString(), "    token: t",
            clusterExtra: $"    certificate-authority-data: {B64(otherPki.CaPem)}")));
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongCa.ListAsync<V1ConfigMap>("kafka"));

        var insecure = server.CreateClient(_ => Load(Kubeconfig(server.BaseAddress.ToString(), "    token: t",
            clusterExtra: "    insecure-skip-tls-verify: true")));
        Assert.Empty((await insecure.ListAsync<V1ConfigMap>("kafka")).Items);
    }
}
