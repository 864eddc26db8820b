using System.Text;

namespace KafkaOperator.Storage.Io;

// Exception policy: I/O failures surface as KafkaStorageException (wrapping the IOException).

/// <summary>Replaces a small file atomically and durably: write tmp, fsync, rename over, fsync the directory.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        var tmp = path + ".tmp";
        try
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write))
            {
                RandomAccess.Write(handle, bytes, 0);
                NativeFile.Fdatasync(handle);
            }

            File.Move(tmp, path, overwrite: true);
            NativeFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot write {path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KafkaStorageException($"Cannot write {path}: {e.Message}", e);
        }
    }
}
