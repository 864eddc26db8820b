using System.Text;
using KafkaOperator.Kube.Config;
using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

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

    [Fact]
    public async Task Token_from_kubeconfig_authenticates_requests()
    {
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { AcceptedTokens = ["s3cret"] });
        using var dir = new TempDir();
        var path = dir.Write("config", Kubeconfig(server.BaseAddress.ToString(), "    token: s3cret"));
        var options = KubeConfig.FromFile(path);
        Assert.Equal("kafka", options.DefaultNamespace);
        Assert.Equal(server.BaseAddress, options.BaseAddress);

        var client = server.CreateClient(_ => options);
        Assert.Empty((await client.ListAsync<ConfigMap>("kafka")).Items);
        Assert.Equal("Bearer s3cret", server.Requests[^1].Authorization);

        var error = await Assert.ThrowsAsync<KubeApiException>(() => server.Client.ListAsync<ConfigMap>("kafka"));
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public void Current_context_selects_cluster_and_namespace_and_can_be_overridden()
    {
        var yaml = Kubeconfig("https://main.example.com:6443", "    token: t", current: "other");
        var current = KubeConfig.FromYaml(yaml);
        Assert.Equal(new Uri("https://other.example.com:6443"), current.BaseAddress);
        Assert.Equal("default", current.DefaultNamespace);
        var main = KubeConfig.FromYaml(yaml, context: "main");
        Assert.Equal(new Uri("https://main.example.com:6443"), main.BaseAddress);
        Assert.Equal("kafka", main.DefaultNamespace);
        Assert.Contains("no context 'missing'", Assert.Throws<KubeConfigException>(() => KubeConfig.FromYaml(yaml, context: "missing")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_or_broken_kubeconfigs_fail_with_clear_messages()
    {
        var exec = Kubeconfig("https://x:6443", "    exec:\n          command: aws\n          apiVersion: client.authentication.k8s.io/v1");
        Assert.Contains("exec plugin", Assert.Throws<KubeConfigException>(() => KubeConfig.FromYaml(exec)).Message, StringComparison.Ordinal);
        var halfCert = Kubeconfig("https://x:6443", $"    client-certificate-data: {B64("x")}");
        Assert.Contains("without its key", Assert.Throws<KubeConfigException>(() => KubeConfig.FromYaml(halfCert)).Message, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", Assert.Throws<KubeConfigException>(() => KubeConfig.FromYaml("a: [b")).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<KubeConfigException>(() => KubeConfig.FromFile("/nonexistent/kubeconfig")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_certificate_and_ca_data_make_a_mutual_tls_connection()
    {
        using var pki = TestCertificates.Create();
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ServerCertificate = pki.Server, ClientCertificateAuthorities = [pki.Ca] });
        Assert.Equal("https", server.BaseAddress.Scheme);
        var user = $"    client-certificate-data: {B64(pki.ClientCertPem)}\n    client-key-data: {B64(pki.ClientKeyPem)}";
        var options = KubeConfig.FromYaml(Kubeconfig(server.BaseAddress.ToString(), user, clusterExtra: $"    certificate-authority-data: {B64(pki.CaPem)}"));
        Assert.NotNull(options.ClientCertificate);
        Assert.True(options.ClientCertificate.HasPrivateKey);

        var client = server.CreateClient(_ => options);
        await client.CreateAsync(new ConfigMap { Metadata = new ObjectMeta { Namespace = "kafka", Name = "tls" } });
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
        var client = server.CreateClient(_ => KubeConfig.FromFile(path));
        Assert.Empty((await client.ListAsync<Secret>("kafka")).Items);
    }

    [Fact]
    public async Task A_server_certificate_from_another_ca_is_rejected_unless_verification_is_skipped()
    {
        using var pki = TestCertificates.Create();
        using var otherPki = TestCertificates.Create("CN=other-ca");
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ServerCertificate = pki.Server });
        var wrongCa = server.CreateClient(_ => KubeConfig.FromYaml(Kubeconfig(server.BaseAddress.ToString(), "    token: t",
            clusterExtra: $"    certificate-authority-data: {B64(otherPki.CaPem)}")));
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongCa.ListAsync<ConfigMap>("kafka"));

        var insecure = server.CreateClient(_ => KubeConfig.FromYaml(Kubeconfig(server.BaseAddress.ToString(), "    token: t",
            clusterExtra: "    insecure-skip-tls-verify: true")));
        Assert.Empty((await insecure.ListAsync<ConfigMap>("kafka")).Items);
    }

    [Fact]
    public async Task In_cluster_config_uses_the_service_account_and_rereads_a_rotated_token()
    {
        using var pki = TestCertificates.Create();
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions
        {
            ServerCertificate = pki.Server,
            AcceptedTokens = ["token-1", "token-2"],
        });
        using var dir = new TempDir();
        var tokenPath = dir.Write("token", "token-1\n");
        dir.Write("ca.crt", pki.CaPem);
        dir.Write("namespace", "kafka-system");
        var options = KubeConfig.InCluster(dir.Path, "127.0.0.1", server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("kafka-system", options.DefaultNamespace);
        var client = server.CreateClient(_ => options);

        await client.ListAsync<Pod>("kafka-system");
        Assert.Equal("Bearer token-1", server.Requests[^1].Authorization);

        File.WriteAllText(tokenPath, "token-2\n");
        File.SetLastWriteTimeUtc(tokenPath, DateTime.UtcNow.AddMinutes(1));
        await client.ListAsync<Pod>("kafka-system");
        Assert.Equal("Bearer token-2", server.Requests[^1].Authorization);
    }

    [Fact]
    public void Token_file_is_reread_after_max_age_even_if_its_time_did_not_change()
    {
        using var dir = new TempDir();
        var path = dir.Write("token", "first");
        var modified = File.GetLastWriteTimeUtc(path);
        var clock = new ManualTimeProvider();
        var provider = new FileTokenProvider(path, clock, TimeSpan.FromMinutes(1));
        Assert.Equal("first", provider.GetToken());

        File.WriteAllText(path, "second");
        File.SetLastWriteTimeUtc(path, modified);
        Assert.Equal("first", provider.GetToken());
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("second", provider.GetToken());

        File.Delete(path);
        Assert.Equal("second", provider.GetToken());
    }

    [Fact]
    public void Load_prefers_in_cluster_then_kubeconfig_env_then_home()
    {
        using var dir = new TempDir();
        var explicitPath = dir.Write("explicit", Kubeconfig("https://explicit.example.com", "    token: t"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "home", ".kube"));
        dir.Write("home/.kube/config", Kubeconfig("https://home.example.com", "    token: t"));
        var serviceAccount = Directory.CreateDirectory(Path.Combine(dir.Path, "sa")).FullName;

        var env = new Dictionary<string, string?> { ["HOME"] = Path.Combine(dir.Path, "home") };
        Assert.Equal("home.example.com", KubeConfig.Load(k => env.GetValueOrDefault(k), serviceAccount).BaseAddress.Host);

        env["KUBECONFIG"] = explicitPath + Path.PathSeparator + "/ignored";
        Assert.Equal("explicit.example.com", KubeConfig.Load(k => env.GetValueOrDefault(k), serviceAccount).BaseAddress.Host);

        env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
        env["KUBERNETES_SERVICE_PORT"] = "443";
        Assert.Equal("explicit.example.com", KubeConfig.Load(k => env.GetValueOrDefault(k), serviceAccount).BaseAddress.Host);
        File.WriteAllText(Path.Combine(serviceAccount, "token"), "sa-token");
        Assert.Equal(new Uri("https://10.96.0.1:443/"), KubeConfig.Load(k => env.GetValueOrDefault(k), serviceAccount).BaseAddress);
    }
}
