namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Input that does not follow the wire format (truncated, negative or oversized lengths, bad varints), or a message
/// that cannot be expressed at the requested version. The network layer answers it by closing the connection or
/// with an error code, so it must be the only exception the codec lets escape for bad bytes.
/// </summary>
public sealed class KafkaProtocolException : Exception
{
    public KafkaProtocolException()
    {
    }

    public KafkaProtocolException(string message)
        : base(message)
    {
    }

    public KafkaProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
