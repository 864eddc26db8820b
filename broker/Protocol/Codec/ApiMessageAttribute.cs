namespace KafkaOperator.Protocol.Codec;

public enum MessageKind
{
    Request,
    Response,
}

/// <summary>
/// Marks a class as the description of one Kafka message: which API it belongs to, whether it is the request or
/// the response, the versions it exists in, and the first flexible version (compact types and tagged fields).
/// The codec reads and writes every version from this description and the <see cref="FieldAttribute"/>s.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ApiMessageAttribute(ApiKey apiKey, MessageKind kind, short minVersion, short maxVersion) : Attribute
{
    public ApiKey ApiKey { get; } = apiKey;
    public MessageKind Kind { get; } = kind;
    public short MinVersion { get; } = minVersion;
    public short MaxVersion { get; } = maxVersion;

    /// <summary>First flexible version; short.MaxValue when the message has none.</summary>
    public short FlexibleFrom { get; init; } = short.MaxValue;
}
