using System.Text;

namespace KafkaOperator.Storage.Io;

// Exception policy: I/O failures surface as KafkaStorageException (wrapping the IOException).

/// <summary>
/// Replaces a small file atomically and durably: write tmp, fsync, rename over, fsync the directory (without the
/// last step a crash can bring the old file back after the caller acted on the new one). Used for checkpoints, the
/// broker's metadata files and the quorum's state. With durable false the two fsyncs are skipped: the replacement is
/// still atomic for readers and survives a process crash, but not necessarily a power loss.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content, bool durable = true) => Write(path, Encoding.UTF8.GetBytes(content), durable);

    public static void Write(string path, ReadOnlySpan<byte> content, bool durable = true)
    {
        var tmp = path + ".tmp";
        try
        {
            using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write))
            {
                RandomAccess.Write(handle, content, 0);
                if (durable)
                {
                    NativeFile.Fdatasync(handle);
                }
            }

            File.Move(tmp, path, overwrite: true);
            if (durable)
            {
                NativeFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot write {path}: {e.Message}", e);
        }
    }
}
