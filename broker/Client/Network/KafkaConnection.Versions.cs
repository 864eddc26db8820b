using System.Buffers.Binary;
using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Network;

public readonly record struct ApiVersionRange(short Min, short Max);

public sealed partial class KafkaConnection
{
    private Dictionary<ApiKey, ApiVersionRange>? _brokerVersions;

    /// <summary>Versions the broker advertised in ApiVersions; null when negotiation was skipped.</summary>
    public IReadOnlyDictionary<ApiKey, ApiVersionRange>? BrokerApiVersions => _brokerVersions;

    /// <summary>
    /// The highest version of <paramref name="apiKey"/> that both this client (<paramref name="client"/>) and the
    /// broker support. Throws <see cref="KafkaException"/> (UnsupportedVersion) when the ranges do not overlap or
    /// the broker does not implement the API.
    /// </summary>
    public short PickVersion(ApiKey apiKey, ApiVersionRange client)
    {
        if (_brokerVersions is null)
        {
            return client.Max;
        }

        if (!_brokerVersions.TryGetValue(apiKey, out var broker))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"Broker {Endpoint} does not support {apiKey}.");
        }

        var max = Math.Min(client.Max, broker.Max);
        if (max < Math.Max(client.Min, broker.Min))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion,
                $"No common version of {apiKey}: client supports {client.Min}-{client.Max}, broker {Endpoint} supports {broker.Min}-{broker.Max}.");
        }

        return max;
    }

    public bool SupportsApi(ApiKey apiKey) => _brokerVersions is null || _brokerVersions.ContainsKey(apiKey);

    /// <summary>
    /// ApiVersions v0: every broker answers it (and answers a too-new ApiVersions with a v0 body anyway), its
    /// response always has header v0, and the api-key ranges are all the client needs from it.
    /// </summary>
    private async Task NegotiateApiVersionsAsync(CancellationToken cancellationToken)
    {
        var body = await SendRawAsync(ApiKey.ApiVersions, 0, ReadOnlyMemory<byte>.Empty, requestHeaderVersion: 1,
            responseHeaderVersion: 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        _brokerVersions = ParseApiVersionsV0(body.Span, Endpoint);
    }

    internal static Dictionary<ApiKey, ApiVersionRange> ParseApiVersionsV0(ReadOnlySpan<byte> body, string endpoint)
    {
        if (body.Length < 6)
        {
            throw new KafkaConnectionException($"Truncated ApiVersions response from {endpoint}.");
        }

        var error = BinaryPrimitives.ReadInt16BigEndian(body);
        if (error != 0)
        {
            throw new KafkaException((ErrorCode)error, $"ApiVersions failed on {endpoint}.");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(body[2..]);
        if (count < 0 || body.Length < 6 + (count * 6L))
        {
            throw new KafkaConnectionException($"Malformed ApiVersions response from {endpoint}.");
        }

        var result = new Dictionary<ApiKey, ApiVersionRange>(count);
        for (var i = 0; i < count; i++)
        {
            var entry = body.Slice(6 + (i * 6), 6);
            var key = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(entry);
            result[key] = new ApiVersionRange(BinaryPrimitives.ReadInt16BigEndian(entry[2..]),
                BinaryPrimitives.ReadInt16BigEndian(entry[4..]));
        }

        return result;
    }
}
