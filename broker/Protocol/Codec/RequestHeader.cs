namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// The request header. Version 0 (ControlledShutdown v0 only) has no client id; version 1 adds it; version 2 adds
/// a tagged-field section. The client id stays a classic nullable string even in version 2.
/// </summary>
public sealed class RequestHeader
{
    public short RequestApiKey { get; set; }

    public short RequestApiVersion { get; set; }

    public int CorrelationId { get; set; }

    public string? ClientId { get; set; }

    public ApiKey ApiKey => (ApiKey)RequestApiKey;

    public static RequestHeader Read(ref KafkaReader reader, short headerVersion)
    {
        var header = new RequestHeader
        {
            RequestApiKey = reader.ReadInt16(),
            RequestApiVersion = reader.ReadInt16(),
            CorrelationId = reader.ReadInt32(),
        };
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

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        writer.WriteInt16(RequestApiKey);
        writer.WriteInt16(RequestApiVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteNullableString(ClientId);
        }

        if (headerVersion >= 2)
        {
            writer.WriteUnsignedVarInt(0);
        }
    }

    public int Size(short headerVersion) =>
        8 + (headerVersion >= 1 ? KafkaSizes.String(ClientId, false) : 0) + (headerVersion >= 2 ? 1 : 0);
}

/// <summary>The response header: version 0 is the correlation id, version 1 adds a tagged-field section.</summary>
public sealed class ResponseHeader
{
    public int CorrelationId { get; set; }

    public static ResponseHeader Read(ref KafkaReader reader, short headerVersion)
    {
        var header = new ResponseHeader { CorrelationId = reader.ReadInt32() };
        if (headerVersion >= 1)
        {
            reader.SkipTaggedFields();
        }

        return header;
    }

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteUnsignedVarInt(0);
        }
    }

    public static int Size(short headerVersion) => headerVersion >= 1 ? 5 : 4;
}
