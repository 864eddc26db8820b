using System.Net;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Server.Handlers;

/// <summary>What a handler knows about the request besides its body.</summary>
public sealed class RequestContext(RequestHeader header, EndPoint? remote, CancellationToken stopping)
{
    public RequestHeader Header { get; } = header;

    public short Version => Header.RequestApiVersion;

    public ApiKey ApiKey => Header.ApiKey;

    public string? ClientId => Header.ClientId;

    public EndPoint? Remote { get; } = remote;

    /// <summary>Signalled when the broker shuts down: long polls return what they have.</summary>
    public CancellationToken Stopping { get; } = stopping;
}
