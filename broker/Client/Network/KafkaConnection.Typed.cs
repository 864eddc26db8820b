using System.Buffers;
using System.Reflection;
using System.Runtime.InteropServices;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Client.Network;

public sealed partial class KafkaConnection
{
    /// <summary>
    /// Sends <paramref name="request"/> at the highest version both sides support (optionally narrowed by
    /// <paramref name="versions"/>) and decodes the response with the codec.
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        var version = PickVersion(MessageInfo<TRequest>.ApiKey, Narrow(MessageInfo<TRequest>.Versions, versions));
        return await SendAsync<TRequest, TResponse>(request, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Picks the version first and lets <paramref name="build"/> shape the request for it, for messages whose fields
    /// moved between versions (the codec rejects a non-default field the chosen version lacks).
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(Func<short, TRequest> build, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        var version = PickVersion(MessageInfo<TRequest>.ApiKey, Narrow(MessageInfo<TRequest>.Versions, versions));
        return await SendAsync<TRequest, TResponse>(build(version), version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="SendAsync{TRequest, TResponse}(Func{short, TRequest}, ApiVersionRange?, CancellationToken)"/>,
    /// but the response frame is leased from the shared array pool instead of allocated: the decoded response (its
    /// records are slices of that frame) may be read only until the lease is disposed. For callers that consume a
    /// large response at once and keep nothing of it (the broker's replica fetchers).
    /// </summary>
    public async Task<LeasedResponse<TResponse>> SendLeasedAsync<TRequest, TResponse>(Func<short, TRequest> build,
        ApiVersionRange? versions = null, CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        var version = PickVersion(MessageInfo<TRequest>.ApiKey, Narrow(MessageInfo<TRequest>.Versions, versions));
        var request = build(version);
        var body = await SendEncodedAsync(request, version, expectResponse: true, cancellationToken, pooledFrame: true).ConfigureAwait(false);
        var frame = MemoryMarshal.TryGetArray(body, out var segment) ? segment.Array : null;
        try
        {
            return new LeasedResponse<TResponse>(Decode<TResponse>(body, version), frame);
        }
        catch
        {
            if (frame is not null)
            {
                ArrayPool<byte>.Shared.Return(frame);
            }

            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> at exactly <paramref name="version"/>.</summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        var body = await SendEncodedAsync(request, version, expectResponse: true, cancellationToken).ConfigureAwait(false);
        return Decode<TResponse>(body, version);
    }

    /// <summary>Sends a request the broker does not answer (Produce with acks=0); completes once it is flushed.</summary>
    public Task SendWithoutResponseAsync<TRequest>(TRequest request, short version, CancellationToken cancellationToken = default)
        where TRequest : class
        => SendEncodedAsync(request, version, expectResponse: false, cancellationToken);

    /// <summary>The version <see cref="SendAsync{TRequest, TResponse}(TRequest, ApiVersionRange?, CancellationToken)"/> would use.</summary>
    public short PickVersion<TRequest>(ApiVersionRange? versions = null)
        where TRequest : class
        => PickVersion(MessageInfo<TRequest>.ApiKey, Narrow(MessageInfo<TRequest>.Versions, versions));

    private Task<ReadOnlyMemory<byte>> SendEncodedAsync<TRequest>(TRequest request, short version, bool expectResponse,
        CancellationToken cancellationToken, bool pooledFrame = false)
        where TRequest : class
    {
        var apiKey = MessageInfo<TRequest>.ApiKey;
        var flexible = version >= MessageInfo<TRequest>.FlexibleFrom;
        var requestHeaderVersion = flexible ? (short)2 : (short)1;
        var responseHeaderVersion = flexible && apiKey != ApiKey.ApiVersions ? (short)1 : (short)0;
        var size = MessageCodec.ComputeSize(request, version);
        return SendCoreAsync(apiKey, version, requestHeaderVersion, responseHeaderVersion, size, (request, version),
            static (output, state) => WriteBody(output, state.request, state.version), expectResponse, cancellationToken, pooledFrame);
    }

    private static void WriteBody<TRequest>(IBufferWriter<byte> output, TRequest request, short version)
        where TRequest : class
    {
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, request, version);
    }

    private TResponse Decode<TResponse>(ReadOnlyMemory<byte> body, short version)
        where TResponse : class
    {
        try
        {
            var reader = new KafkaReader(body);
            return MessageCodec.Read<TResponse>(ref reader, version);
        }
        catch (KafkaProtocolException ex)
        {
            throw new KafkaConnectionException(
                $"Malformed {typeof(TResponse).Name} v{version} from {Endpoint}: {ex.Message}", ex);
        }
    }

    private static ApiVersionRange Narrow(ApiVersionRange supported, ApiVersionRange? wanted) => wanted is { } w
        ? new ApiVersionRange(Math.Max(supported.Min, w.Min), Math.Min(supported.Max, w.Max))
        : supported;

    private static class MessageInfo<T>
    {
        private static readonly ApiMessageAttribute Declared = typeof(T).GetCustomAttribute<ApiMessageAttribute>()
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not a Kafka message ([ApiMessage] missing).");

        public static ApiKey ApiKey => Declared.ApiKey;

        public static ApiVersionRange Versions => new(Declared.MinVersion, Declared.MaxVersion);

        public static short FlexibleFrom => Declared.FlexibleFrom;
    }
}
