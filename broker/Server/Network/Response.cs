using System.Buffers;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Server.Network;

/// <summary>
/// A response ready to be written: the body plus how to frame it. Writing goes straight into the connection's
/// PipeWriter (size prefix, header, body), so records in the body (file slices) are copied once, into the pipe.
/// </summary>
public abstract class Response
{
    /// <summary>Writes the framed response for <paramref name="request"/> and returns the bytes written.</summary>
    public abstract int WriteTo(IBufferWriter<byte> output, RequestHeader request);

    /// <summary>Called once the response has been written (or dropped): return pooled resources.</summary>
    public virtual void Release()
    {
    }
}

public sealed class Response<T> : Response
    where T : class
{
    private readonly short _version;
    private readonly Action? _release;

    /// <param name="body">The response message.</param>
    /// <param name="version">When not -1, write the body at this version instead of the request's.</param>
    /// <param name="release">Called after writing, e.g. to release file handles held by record sets.</param>
    public Response(T body, short version = -1, Action? release = null)
    {
        Body = body;
        _version = version;
        _release = release;
    }

    public T Body { get; }

    public override int WriteTo(IBufferWriter<byte> output, RequestHeader request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_version < 0 || _version == request.RequestApiVersion)
            return MessageCodec.WriteResponse(output, request, Body);
        var header = new RequestHeader
        {
            RequestApiKey = request.RequestApiKey,
            RequestApiVersion = _version,
            CorrelationId = request.CorrelationId,
            ClientId = request.ClientId,
        };
        return MessageCodec.WriteResponse(output, header, Body);
    }

    public override void Release() => _release?.Invoke();
}
