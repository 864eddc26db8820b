using KafkaOperator.Protocol;

namespace KafkaOperator.Client;

/// <summary>
/// A Kafka error code returned by a broker for one operation (one topic, one partition, one group...).
/// Admin operations that Kafka answers per topic report one of these per topic instead of failing as a whole.
/// </summary>
public class KafkaException : Exception
{
    public KafkaException(ErrorCode code, string? message = null)
        : base(string.IsNullOrEmpty(message) ? code.ToString() : $"{code}: {message}")
    {
        Code = code;
    }

    public KafkaException(ErrorCode code, string? message, Exception? inner)
        : base(string.IsNullOrEmpty(message) ? code.ToString() : $"{code}: {message}", inner)
    {
        Code = code;
    }

    public KafkaException()
        : this(ErrorCode.UnknownServerError)
    {
    }

    public KafkaException(string message)
        : this(ErrorCode.UnknownServerError, message)
    {
    }

    public KafkaException(string message, Exception inner)
        : this(ErrorCode.UnknownServerError, message, inner)
    {
    }

    public ErrorCode Code { get; }

    /// <summary>Errors after which the same request may succeed once metadata is refreshed or time passes.</summary>
    public bool IsRetriable => IsRetriableCode(Code);

    public static bool IsRetriableCode(ErrorCode code) => code is ErrorCode.NotLeaderOrFollower
        or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable or ErrorCode.RequestTimedOut
        or ErrorCode.NotController or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable
        or ErrorCode.NotCoordinator or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
        or ErrorCode.NetworkException or ErrorCode.KafkaStorageError;

    /// <summary>Throws when <paramref name="code"/> is not <see cref="ErrorCode.None"/>.</summary>
    public static void ThrowIfError(short code, string? message = null)
    {
        if (code != 0)
        {
            throw new KafkaException((ErrorCode)code, message);
        }
    }
}

/// <summary>The connection to a broker failed or closed; every request in flight on it fails with this.</summary>
public sealed class KafkaConnectionException : IOException
{
    public KafkaConnectionException()
    {
    }

    public KafkaConnectionException(string message)
        : base(message)
    {
    }

    public KafkaConnectionException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    /// <summary>The broker that could not be reached, when the client knew which one it wanted (-1: a bootstrap address).</summary>
    public int NodeId { get; init; } = -1;

    /// <summary>host:port of that broker, when known.</summary>
    public string? Endpoint { get; init; }
}
