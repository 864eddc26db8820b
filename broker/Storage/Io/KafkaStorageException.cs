namespace KafkaOperator.Storage.Io;

/// <summary>
/// An I/O failure in a log directory (disk error, corrupt file that cannot be recovered, file gone or replaced). The
/// server answers KafkaStorageError for the partition and the operation; the log keeps its last consistent state
/// (a failed append or roll publishes nothing), so the operation can succeed again once the cause is fixed.
/// </summary>
public sealed class KafkaStorageException : Exception
{
    public KafkaStorageException()
    {
    }

    public KafkaStorageException(string message)
        : base(message)
    {
    }

    public KafkaStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
