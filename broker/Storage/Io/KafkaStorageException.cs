namespace KafkaOperator.Storage.Io;

/// <summary>
/// An I/O failure in a log directory (disk error, corrupt file that cannot be recovered, file gone). The server
/// answers KafkaStorageError for the partition; the log is not usable until the broker restarts.
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
