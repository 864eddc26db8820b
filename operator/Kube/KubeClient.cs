using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KafkaOperator.Kube.Models;

namespace KafkaOperator.Kube;

/// <summary>
/// The HTTP implementation of <see cref="IKubeClient"/>. Thread-safe; share one per process.
/// Errors: API errors become <see cref="KubeApiException"/>; transport failures stay HttpRequestException;
/// a request that exceeds <see cref="KubeClientOptions.RequestTimeout"/> throws TimeoutException.
/// </summary>
public sealed partial class KubeClient : IKubeClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly KubeClientOptions _options;

    public KubeClient(KubeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new HttpClient(options.Handler ?? CreateHandler(options), disposeHandler: true)
        {
            BaseAddress = options.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    public KubeClientOptions Options => _options;

    public void Dispose() => _http.Dispose();

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken ct = default) where T : KubeObject, new()
    {
        var info = ResourceInfo.Of<T>();
        using var request = new HttpRequestMessage(HttpMethod.Get, info.ObjectPath(ns, name));
        var body = await SendAsync(request, $"get {info.Kind} {Describe(ns, name)}", allowNotFound: true, ct).ConfigureAwait(false);
        return body is null ? null : Read<T>(body, info);
    }

    public async Task<KubeList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken ct = default) where T : KubeObject, new()
    {
        var info = ResourceInfo.Of<T>();
        KubeList<T>? result = null;
        string? continueToken = null;
        do
        {
            var query = new QueryBuilder().Add("labelSelector", labelSelector).Add("limit", _options.ListPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).Add("continue", continueToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, info.CollectionPath(ns) + query);
            var body = await SendAsync(request, $"list {info.Plural}", allowNotFound: false, ct).ConfigureAwait(false);
            var page = KubeJson.Deserialize<KubeList<T>>(body!);
            foreach (var item in page.Items)
            {
                FillTypeMeta(item, info);
            }
            if (result is null)
            {
                result = page;
            }
            else
            {
                result.Items.AddRange(page.Items);
            }
            continueToken = page.Metadata.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));
        result.Metadata.Continue = null;
        return result;
    }

    public async Task<T> CreateAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        var info = ResourceInfo.Of<T>();
        FillTypeMeta(obj, info);
        var ns = info.Namespaced ? obj.Metadata.Namespace ?? throw new ArgumentException($"{info.Kind} is namespaced: set metadata.namespace.", nameof(obj)) : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, info.CollectionPath(ns)) { Content = Json(obj) };
        var body = await SendAsync(request, $"create {info.Kind} {Describe(ns, obj.Metadata.Name ?? obj.Metadata.GenerateName)}", false, ct).ConfigureAwait(false);
        return Read<T>(body!, info);
    }

    public Task<T> ReplaceAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new() =>
        PutAsync(obj, null, ct);

    public Task<T> ReplaceStatusAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new() =>
        PutAsync(obj, "status", ct);

    public async Task<T> PatchAsync<T>(string? ns, string name, KubePatch patch, CancellationToken ct = default) where T : KubeObject, new()
    {
        ArgumentNullException.ThrowIfNull(patch);
        var info = ResourceInfo.Of<T>();
        var path = info.ObjectPath(ns, name) + (patch.Subresource is { Length: > 0 } sub ? "/" + sub : "");
        var query = new QueryBuilder().Add("fieldManager", patch.FieldManager);
        if (patch.ContentType == KubePatch.ApplyPatchContentType && patch.Force)
        {
            query.Add("force", "true");
        }
        using var request = new HttpRequestMessage(HttpMethod.Patch, path + query)
        {
            Content = new StringContent(patch.Body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(patch.ContentType);
        var body = await SendAsync(request, $"patch {info.Kind} {Describe(ns, name)}", false, ct).ConfigureAwait(false);
        return Read<T>(body!, info);
    }

    public Task<T> ApplyAsync<T>(T obj, string fieldManager, bool force = true, CancellationToken ct = default) where T : KubeObject, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        var info = ResourceInfo.Of<T>();
        FillTypeMeta(obj, info);
        var name = obj.Metadata.Name ?? throw new ArgumentException("Apply needs metadata.name.", nameof(obj));
        return PatchAsync<T>(obj.Metadata.Namespace, name, KubePatch.Apply(obj, fieldManager, force), ct);
    }

    public async Task DeleteAsync<T>(string? ns, string name, string? propagationPolicy = "Background", CancellationToken ct = default) where T : KubeObject, new()
    {
        var info = ResourceInfo.Of<T>();
        var query = new QueryBuilder().Add("propagationPolicy", propagationPolicy);
        using var request = new HttpRequestMessage(HttpMethod.Delete, info.ObjectPath(ns, name) + query);
        await SendAsync(request, $"delete {info.Kind} {Describe(ns, name)}", allowNotFound: true, ct).ConfigureAwait(false);
    }

    private async Task<T> PutAsync<T>(T obj, string? subresource, CancellationToken ct) where T : KubeObject, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        var info = ResourceInfo.Of<T>();
        FillTypeMeta(obj, info);
        var name = obj.Metadata.Name ?? throw new ArgumentException("Replace needs metadata.name.", nameof(obj));
        var path = info.ObjectPath(obj.Metadata.Namespace, name) + (subresource is null ? "" : "/" + subresource);
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = Json(obj) };
        var what = $"replace {info.Kind}{(subresource is null ? "" : " " + subresource)} {Describe(obj.Metadata.Namespace, name)}";
        var body = await SendAsync(request, what, false, ct).ConfigureAwait(false);
        return Read<T>(body!, info);
    }

    /// <summary>Sends a request and returns its body, or null for an allowed 404.</summary>
    private async Task<string?> SendAsync(HttpRequestMessage request, string what, bool allowNotFound, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await AuthorizeAsync(request, timeout.Token).ConfigureAwait(false);
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }
            if (allowNotFound && response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return null;
            }
            throw KubeApiException.FromResponse((int)response.StatusCode, response.ReasonPhrase, body, what);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: no answer within {_options.RequestTimeout}.");
        }
    }

    private async ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (_options.TokenProvider is { } provider && await provider(ct).ConfigureAwait(false) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    private static StringContent Json<T>(T obj)
    {
        var content = new StringContent(KubeJson.Serialize(obj), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static T Read<T>(string body, ResourceInfo info) where T : KubeObject
    {
        var obj = KubeJson.Deserialize<T>(body);
        FillTypeMeta(obj, info);
        return obj;
    }

    // List items and some responses omit apiVersion/kind; the type knows them.
    private static void FillTypeMeta(KubeObject obj, ResourceInfo info)
    {
        if (string.IsNullOrEmpty(obj.ApiVersion))
        {
            obj.ApiVersion = info.ApiVersion;
        }
        if (string.IsNullOrEmpty(obj.Kind))
        {
            obj.Kind = info.Kind;
        }
    }

    private static string Describe(string? ns, string? name) => string.IsNullOrEmpty(ns) ? name ?? "" : $"{ns}/{name}";

    private static SocketsHttpHandler CreateHandler(KubeClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        var ssl = new SslClientAuthenticationOptions();
        if (options.ClientCertificate is { } cert)
        {
            ssl.ClientCertificates = [cert];
        }
        if (options.InsecureSkipTlsVerify)
        {
            ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (options.CertificateAuthorities is { Count: > 0 } roots)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateWithRoots(certificate, errors, roots);
        }
        handler.SslOptions = ssl;
        return handler;
    }

    /// <summary>Chains the server certificate to the kubeconfig's CA only (not the system store); the name must match.</summary>
    internal static bool ValidateWithRoots(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
