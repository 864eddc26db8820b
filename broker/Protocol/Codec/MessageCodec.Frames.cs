using System.Buffers;
using System.Buffers.Binary;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Whole frames. A request frame is the bytes after the 4-byte size prefix. The header is parsed on its own first so
/// the server can answer an unknown API or version with the right response header before touching the body.
/// </summary>
public static partial class MessageCodec
{
    /// <summary>Reads a request header; its version follows from the API key and version it starts with.</summary>
    public static RequestHeader ReadRequestHeader(ref KafkaReader reader)
    {
        var header = new RequestHeader
        {
            RequestApiKey = reader.ReadInt16(),
            RequestApiVersion = reader.ReadInt16(),
            CorrelationId = reader.ReadInt32(),
        };
        var headerVersion = ApiRegistry.RequestHeaderVersion(header.ApiKey, header.RequestApiVersion);
        if (headerVersion >= 1)
        {
            header.ClientId = reader.ReadNullableString();
        }

        if (headerVersion >= 2)
        {
            reader.SkipTaggedFields();
        }

        return header;
    }

    /// <summary>Reads the body that follows <paramref name="header"/>; unknown APIs and versions throw.</summary>
    public static object ReadRequestBody(ref KafkaReader reader, RequestHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (!ApiRegistry.TryGet(header.ApiKey, out var api))
        {
            throw new KafkaProtocolException($"Unsupported API key {header.RequestApiKey}.");
        }

        if (!api.IsSupported(header.RequestApiVersion))
        {
            throw new KafkaProtocolException($"Unsupported version {header.RequestApiVersion} of {api.ApiKey}.");
        }

        return Read(api.RequestType, ref reader, header.RequestApiVersion);
    }

    public static T ReadRequestBody<T>(ref KafkaReader reader, RequestHeader header)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(header);
        return Read<T>(ref reader, header.RequestApiVersion);
    }

    /// <summary>Header then body of one request frame (without its size prefix).</summary>
    public static (RequestHeader Header, object Body) ReadRequest(ReadOnlyMemory<byte> frame)
    {
        var reader = new KafkaReader(frame);
        var header = ReadRequestHeader(ref reader);
        return (header, ReadRequestBody(ref reader, header));
    }

    /// <summary>Size of a response frame without the 4-byte size prefix.</summary>
    public static int ComputeResponseSize<T>(RequestHeader request, T response)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var headerVersion = ApiRegistry.ResponseHeaderVersion(request.ApiKey, request.RequestApiVersion);
        return ResponseHeader.Size(headerVersion) + ComputeSize(response, request.RequestApiVersion);
    }

    /// <summary>
    /// Writes size prefix, response header (version chosen from the request) and body straight into
    /// <paramref name="output"/>; returns the bytes written including the prefix.
    /// </summary>
    public static int WriteResponse<T>(IBufferWriter<byte> output, RequestHeader request, T response)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        return WriteResponse(output, request, response, request.RequestApiVersion);
    }

    /// <summary>
    /// Same, with the body written at <paramref name="version"/> instead of the request's version: an ApiVersions
    /// request of an unsupported version is answered with a v0 body carrying UNSUPPORTED_VERSION.
    /// </summary>
    public static int WriteResponse<T>(IBufferWriter<byte> output, RequestHeader request, T response, short version)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var headerVersion = ApiRegistry.ResponseHeaderVersion(request.ApiKey, version);
        var size = ResponseHeader.Size(headerVersion) + ComputeSize(response, version);
        var writer = new KafkaWriter(output);
        writer.WriteInt32(size);
        new ResponseHeader { CorrelationId = request.CorrelationId }.Write(ref writer, headerVersion);
        Write(ref writer, response, version);
        return checked((int)writer.BytesWritten);
    }

    /// <summary>Writes size prefix, request header and body (the client side).</summary>
    public static int WriteRequest<T>(IBufferWriter<byte> output, RequestHeader header, T request)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(header);
        var version = header.RequestApiVersion;
        var headerVersion = ApiRegistry.RequestHeaderVersion(header.ApiKey, version);
        var size = header.Size(headerVersion) + ComputeSize(request, version);
        var writer = new KafkaWriter(output);
        writer.WriteInt32(size);
        header.Write(ref writer, headerVersion);
        Write(ref writer, request, version);
        return checked((int)writer.BytesWritten);
    }

    /// <summary>Reads one response frame (without its size prefix) of <paramref name="apiKey"/> at <paramref name="version"/>.</summary>
    public static T ReadResponse<T>(ReadOnlyMemory<byte> frame, ApiKey apiKey, short version, out int correlationId)
        where T : class
    {
        var reader = new KafkaReader(frame);
        correlationId = ResponseHeader.Read(ref reader, ApiRegistry.ResponseHeaderVersion(apiKey, version)).CorrelationId;
        return Read<T>(ref reader, version);
    }

    /// <summary>Correlation id of a response frame, readable before the caller knows which request it answers.</summary>
    public static int PeekCorrelationId(ReadOnlySpan<byte> frame) =>
        frame.Length >= 4
            ? BinaryPrimitives.ReadInt32BigEndian(frame)
            : throw new KafkaProtocolException("Response frame is shorter than its correlation id.");
}
