namespace KafkaOperator.Protocol.Records;

/// <summary>
/// An output that sends a range of a file itself (sendfile: page cache to socket, no copy through user space)
/// instead of having the bytes copied into it. A file-backed record set hands its range over; the bytes written
/// to the output before and after the range keep their order around it.
/// </summary>
public interface IFileRegionSink
{
    /// <summary>
    /// Takes the range <paramref name="position"/>..+<paramref name="length"/> of <paramref name="file"/>.
    /// <paramref name="lease"/> keeps the file open and is disposed once the bytes are sent (or dropped).
    /// </summary>
    void WriteFileRegion(FileStream file, long position, int length, IDisposable lease);
}
