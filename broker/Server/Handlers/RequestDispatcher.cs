using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Server.Network;

namespace KafkaOperator.Server.Handlers;

/// <summary>Why a request could not be dispatched; the connection is closed with this reason logged.</summary>
public sealed class InvalidRequestException(string message) : Exception(message)
{
}

/// <summary>
/// Maps API keys to handlers and advertises exactly their version ranges. Unknown keys and unsupported versions
/// are protocol violations (the connection closes, as Kafka does), except ApiVersions, which answers
/// UNSUPPORTED_VERSION with a v0 body so the client can pick a version it shares with us.
/// </summary>
public sealed class RequestDispatcher
{
    private readonly ApiHandler?[] _handlers = new ApiHandler?[128];

    // Keys beyond Kafka's range: the quorum's own QuorumPropose (10000) on the CONTROLLER listener.
    private readonly Dictionary<short, ApiHandler> _private = [];
    private readonly List<ApiHandler> _all = [];

    public RequestDispatcher(IEnumerable<ApiHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        foreach (var h in handlers)
        {
            if ((int)h.ApiKey < _handlers.Length)
                _handlers[(int)h.ApiKey] = h;
            else
                _private[(short)h.ApiKey] = h;
            _all.Add(h);
        }
        _all.Sort((a, b) => a.ApiKey.CompareTo(b.ApiKey));
    }

    /// <summary>Requests and their latency per API (Kafka's RequestMetrics), recorded by the connections.</summary>
    public Metrics.RequestStats Stats { get; } = new();

    /// <summary>Every handler ordered by API key: the ApiVersions answer.</summary>
    public IReadOnlyList<ApiHandler> Handlers => _all;

    /// <summary>See <see cref="ApiHandler.DoneWithRequestAfterStart"/>.</summary>
    public bool DoneWithRequestAfterStart(short key)
    {
        var handler = key >= 0 && key < _handlers.Length ? _handlers[key] : _private.GetValueOrDefault(key);
        return handler is { DoneWithRequestAfterStart: true };
    }

    /// <summary>Supplies the ApiVersions v0 body listing our versions, for the unsupported-version answer.</summary>
    public Func<Response>? UnsupportedApiVersionsResponse { get; set; }

    public ValueTask<Response?> Dispatch(RequestContext context, ref KafkaReader body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = context.Header.RequestApiKey;
        var handler = key >= 0 && key < _handlers.Length ? _handlers[key] : _private.GetValueOrDefault(key);
        if (handler is null)
            throw new InvalidRequestException($"unknown API key {key}");
        var version = context.Version;
        if (version < handler.MinVersion || version > handler.MaxVersion)
        {
            if (handler.ApiKey == ApiKey.ApiVersions && UnsupportedApiVersionsResponse is { } unsupported)
                return new ValueTask<Response?>(unsupported());
            throw new InvalidRequestException($"unsupported version {version} of {handler.ApiKey} (supported {handler.MinVersion}-{handler.MaxVersion})");
        }
        try
        {
            return handler.Start(context, ref body);
        }
        catch (KafkaProtocolException ex)
        {
            throw new InvalidRequestException($"malformed {handler.ApiKey} v{version} request: {ex.Message}");
        }
    }
}
