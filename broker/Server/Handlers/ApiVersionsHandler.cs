using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Network;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// ApiVersions 0–4: lists the handlers' ranges (from <see cref="ApiHandler.AdvertisedMinVersion"/>). An unsupported
/// version gets UNSUPPORTED_VERSION with a v0 body (see <see cref="UnsupportedVersionResponse"/>), which every client
/// parses before retrying lower.
/// </summary>
public sealed class ApiVersionsHandler : ApiHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    private Func<IReadOnlyList<ApiHandler>>? _handlers;
    private List<ApiVersionsResponse.ApiVersion>? _cached;

    public override ApiKey ApiKey => ApiKey.ApiVersions;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    /// <summary>Connects the handler to the dispatcher whose table it advertises.</summary>
    public void Attach(RequestDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        _handlers = () => dispatcher.Handlers;
        dispatcher.UnsupportedApiVersionsResponse = UnsupportedVersionResponse;
    }

    public Response UnsupportedVersionResponse() =>
        new Response<ApiVersionsResponse>(new ApiVersionsResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion, ApiKeys = ApiKeys() }, version: 0);

    /// <summary>The finalized kraft.version (KIP-853), advertised from v3 as Kafka does; unset, only the supported range.</summary>
    public Func<short>? KRaftVersion { get; init; }

    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request)
    {
        var response = new ApiVersionsResponse { ApiKeys = ApiKeys() };
        response.SupportedFeatures.Add(new ApiVersionsResponse.SupportedFeatureKey { Name = KRaftVersionFeature, MinVersion = 0, MaxVersion = 1 });
        if (KRaftVersion?.Invoke() is { } level and > 0)
        {
            response.FinalizedFeaturesEpoch = 0;
            response.FinalizedFeatures.Add(new ApiVersionsResponse.FinalizedFeatureKey { Name = KRaftVersionFeature, MinVersionLevel = level, MaxVersionLevel = level });
        }
        return new(response);
    }

    public const string KRaftVersionFeature = "kraft.version";

    private List<ApiVersionsResponse.ApiVersion> ApiKeys()
    {
        if (_cached is { } cached)
            return cached;
        var list = new List<ApiVersionsResponse.ApiVersion>();
        foreach (var h in _handlers?.Invoke() ?? [])
            list.Add(new ApiVersionsResponse.ApiVersion { ApiKey = (short)h.ApiKey, MinVersion = h.AdvertisedMinVersion, MaxVersion = h.MaxVersion });
        _cached = list;
        return list;
    }
}
