using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace KafkaOperator.Protocol.Codec;

/// <summary>One implemented API: its request and response types, the versions we support and header rules.</summary>
public sealed class ApiDescriptor(ApiKey apiKey, Type requestType, Type responseType, short minVersion, short maxVersion, short flexibleFrom)
{
    public ApiKey ApiKey { get; } = apiKey;

    public Type RequestType { get; } = requestType;

    public Type ResponseType { get; } = responseType;

    public short MinVersion { get; } = minVersion;

    public short MaxVersion { get; } = maxVersion;

    /// <summary>First flexible version; short.MaxValue when none.</summary>
    public short FlexibleFrom { get; } = flexibleFrom;

    public bool IsSupported(short version) => version >= MinVersion && version <= MaxVersion;

    /// <summary>Also meaningful above <see cref="MaxVersion"/>: Kafka never makes a flexible API non-flexible again.</summary>
    public bool IsFlexible(short version) => version >= FlexibleFrom;

    public short RequestHeaderVersion(short version) =>
        ApiKey == ApiKey.ControlledShutdown && version == 0 ? (short)0 : IsFlexible(version) ? (short)2 : (short)1;

    /// <summary>ApiVersions responses always use header v0 so a client can parse them before it knows our versions.</summary>
    public short ResponseHeaderVersion(short version) =>
        ApiKey != ApiKey.ApiVersions && IsFlexible(version) ? (short)1 : (short)0;
}

/// <summary>Every API described in KafkaOperator.Protocol.Messages, found once by scanning the [ApiMessage] classes.</summary>
public static class ApiRegistry
{
    private static readonly Lazy<Dictionary<ApiKey, ApiDescriptor>> Apis = new(Scan);

    public static IReadOnlyCollection<ApiDescriptor> All => Apis.Value.Values;

    public static bool TryGet(ApiKey apiKey, [NotNullWhen(true)] out ApiDescriptor? descriptor) =>
        Apis.Value.TryGetValue(apiKey, out descriptor);

    public static ApiDescriptor? Find(ApiKey apiKey) => Apis.Value.GetValueOrDefault(apiKey);

    /// <summary>Header version for a request; unknown APIs get v1, which reads the fields every version shares.</summary>
    public static short RequestHeaderVersion(ApiKey apiKey, short version) =>
        TryGet(apiKey, out var api) ? api.RequestHeaderVersion(version)
        : apiKey == ApiKey.ControlledShutdown && version == 0 ? (short)0 : (short)1;

    public static short ResponseHeaderVersion(ApiKey apiKey, short version) =>
        TryGet(apiKey, out var api) ? api.ResponseHeaderVersion(version) : (short)0;

    private static Dictionary<ApiKey, ApiDescriptor> Scan()
    {
        var messages = typeof(ApiRegistry).Assembly.GetTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttribute<ApiMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();
        var result = new Dictionary<ApiKey, ApiDescriptor>();
        foreach (var request in messages.Where(m => m.Attribute!.Kind == MessageKind.Request))
        {
            var a = request.Attribute!;
            var response = messages.SingleOrDefault(m => m.Attribute!.Kind == MessageKind.Response && m.Attribute.ApiKey == a.ApiKey);
            if (response.Type is null)
            {
                throw new InvalidOperationException($"{request.Type.Name} has no response type.");
            }

            result.Add(a.ApiKey, new ApiDescriptor(a.ApiKey, request.Type, response.Type, a.MinVersion, a.MaxVersion, a.FlexibleFrom));
        }

        return result;
    }
}
