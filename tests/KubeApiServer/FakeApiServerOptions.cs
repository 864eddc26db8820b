using System.Security.Cryptography.X509Certificates;

namespace KafkaOperator.Kube.Testing;

public sealed class FakeApiServerOptions
{
    /// <summary>The clock for creation and deletion timestamps.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Watch events kept for watches from a past resourceVersion; older ones answer 410 Expired.</summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>When set, every open watch gets a BOOKMARK this often (tests usually call SendBookmarks instead).</summary>
    public TimeSpan? BookmarkInterval { get; init; }

    /// <summary>
    /// False (the default): a too-old watch resourceVersion answers 200 with an ERROR event carrying a 410 Status,
    /// as the apiserver does. True: it answers HTTP 410 directly.
    /// </summary>
    public bool ExpiredWatchAsHttpStatus { get; init; }

    /// <summary>Serve HTTPS with this certificate (with private key) instead of plain HTTP.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>With HTTPS: require a client certificate issued by one of these roots.</summary>
    public X509Certificate2Collection? ClientCertificateAuthorities { get; init; }

    /// <summary>When set, requests must carry "Authorization: Bearer {token}" with one of these tokens, else 401.</summary>
    public IReadOnlyCollection<string>? AcceptedTokens { get; init; }
}

/// <summary>A request as the fake server saw it, for assertions.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? Authorization, string? ContentType, string? ClientCertificateSubject);

/// <summary>Requests the server holds without an answer until <see cref="Release"/>.</summary>
public sealed class HungRequests : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    internal HungRequests(string? method, string? pathContains)
    {
        Method = method;
        PathContains = pathContains;
    }

    public string? Method { get; }
    public string? PathContains { get; }

    /// <summary>How many requests have been held so far.</summary>
    public int Count => Volatile.Read(ref _count);

    internal bool Matches(string method, string pathAndQuery) => !_released.Task.IsCompleted
        && (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathContains is null || pathAndQuery.Contains(PathContains, StringComparison.Ordinal));

    internal Task HoldAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _count);
        return _released.Task.WaitAsync(ct);
    }

    /// <summary>Held requests go on to be served; new ones are no longer held.</summary>
    public void Release() => _released.TrySetResult();

    public void Dispose() => Release();
}

/// <summary>A failure the server answers instead of serving the next matching requests.</summary>
public sealed class InjectedFailure
{
    internal InjectedFailure(int remaining, int statusCode, string? method, string? pathContains)
    {
        Remaining = remaining;
        StatusCode = statusCode;
        Method = method;
        PathContains = pathContains;
    }

    public int Remaining { get; internal set; }
    public int StatusCode { get; }
    public string? Method { get; }
    public string? PathContains { get; }
}
