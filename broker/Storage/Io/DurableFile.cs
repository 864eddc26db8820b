using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Io;

/// <summary>
/// The durable-file calls other layers may use (the quorum's metadata log and snapshots): fdatasync of a file and
/// fsync of a directory after a create, rename or delete in it. Failures throw KafkaStorageException.
/// </summary>
public static class DurableFile
{
    public static void Fdatasync(SafeFileHandle handle) => NativeFile.Fdatasync(handle);

    public static void FsyncDirectory(string directory) => NativeFile.FsyncDirectory(directory);
}
