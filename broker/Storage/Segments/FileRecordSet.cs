using System.Buffers;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Segments;

// Exception policy: WriteTo throws KafkaStorageException when the file cannot be read in full (deleted after
// file.delete.delay.ms, I/O error); the bytes already written to the output are then incomplete.

/// <summary>
/// A slice of a segment file, never decoded: <see cref="WriteTo"/> hands the range to an output that sends files
/// itself (<see cref="IFileRegionSink"/>, sendfile), or else copies the bytes in with positional reads. The slice starts at a batch boundary; as in Kafka it may end inside a batch,
/// which clients drop.
/// </summary>
public sealed class FileRecordSet : RecordSet
{
    private const int ChunkSize = 64 * 1024;
    private readonly SegmentFile _file;

    internal FileRecordSet(SegmentFile file, long position, int length)
    {
        _file = file;
        Position = position;
        Length = length;
    }

    /// <summary>Byte position of the first batch in the segment file.</summary>
    public long Position { get; }

    public int Length { get; }

    public override int SizeInBytes => Length;

    public string FilePath => _file.Path;

    public override void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Length == 0)
        {
            return;
        }

        if (output is IFileRegionSink sink)
        {
            FileStream stream;
            try
            {
                stream = _file.AcquireStream();
            }
            catch (IOException e)
            {
                throw new KafkaStorageException($"Cannot read segment file {_file.Path}: {e.Message}", e);
            }

            if (stream.IsAsync)
            {
                sink.WriteFileRegion(stream, Position, Length, new Lease(_file));
                return;
            }

            // Not opened as a segment file (see SegmentFile.Options): socket file sends refuse it, so copy.
            _file.Release();
        }

        var handle = _file.Acquire();
        try
        {
            var position = Position;
            var remaining = Length;
            while (remaining > 0)
            {
                var span = output.GetSpan(Math.Min(remaining, ChunkSize));
                var chunk = span[..Math.Min(Math.Min(span.Length, remaining), ChunkSize)];
                var n = RandomAccess.Read(handle, chunk, position);
                if (n <= 0)
                {
                    throw new KafkaStorageException($"Segment file {_file.Path} ended at {position}, {remaining} bytes short of the fetched range");
                }

                output.Advance(n);
                position += n;
                remaining -= n;
            }
        }
        catch (IOException e)
        {
            throw new KafkaStorageException($"Cannot read segment file {_file.Path}: {e.Message}", e);
        }
        finally
        {
            _file.Release();
        }
    }

    /// <summary>Keeps the segment file open until a sink has sent the range.</summary>
    private sealed class Lease(SegmentFile file) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                file.Release();
            }
        }
    }

    /// <summary>Copies the bytes into a new array (tests, tools).</summary>
    public byte[] ToArray()
    {
        var writer = new ArrayBufferWriter<byte>(Math.Max(1, Length));
        WriteTo(writer);
        return writer.WrittenSpan.ToArray();
    }
}
