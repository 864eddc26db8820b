using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Io;

// Exception policy: Fsync/Fdatasync/FsyncDirectory throw KafkaStorageException when the kernel reports an error;
// StartWriteback never throws (it is only a hint to the kernel).

/// <summary>The few Linux file calls .NET does not expose: fdatasync, directory fsync, sync_file_range.</summary>
internal static class NativeFile
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const uint SyncFileRangeWrite = 2;

    private static readonly bool IsLinux = OperatingSystem.IsLinux();

    /// <summary>Makes a file's data durable (metadata only as far as needed to read it back).</summary>
    public static void Fdatasync(SafeFileHandle handle)
    {
        if (!IsLinux)
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (fdatasync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new KafkaStorageException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a rename or create inside the directory durable.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!IsLinux)
        {
            return;
        }

        var fd = open(directory, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw new KafkaStorageException($"Cannot open directory {directory} to fsync it: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new KafkaStorageException($"fsync of directory {directory} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Asks the kernel to start writing back a range now, without waiting for it (SYNC_FILE_RANGE_WRITE).</summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (!IsLinux || handle.IsClosed)
        {
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = sync_file_range((int)handle.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        catch (ObjectDisposedException)
        {
            // The segment was closed meanwhile: nothing left to write back.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static int open(string path, int flags)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        return open(bytes, flags);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(byte[] path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);
}
