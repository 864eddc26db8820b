using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Io;

// Exception policy: Acquire throws KafkaStorageException when a directory is locked by someone else or the lock
// file cannot be opened; it never leaves a lock behind when it throws.

/// <summary>
/// Kafka's `.lock` file in each log directory, held with an exclusive flock for the broker's lifetime: two brokers
/// on one directory would each truncate, recover and delete the other's files. flock belongs to the open file, so a
/// second lock in the same process is refused too, and the kernel releases it when the process dies (no stale lock
/// after a crash, whatever is left in the file).
/// </summary>
public sealed class LogDirLock : IDisposable
{
    public const string FileName = ".lock";

    private const int ORdWr = 2;
    private const int OCreat = 0x40;
    private const int OCloExec = 0x80000;
    private const int LockEx = 2;
    private const int LockNb = 4;
    private const int EWouldBlock = 11;

    private readonly List<SafeFileHandle> _handles;

    private LogDirLock(List<SafeFileHandle> handles) => _handles = handles;

    /// <summary>Locks every directory (each once, however it is spelled), or none.</summary>
    public static LogDirLock Acquire(IEnumerable<string> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        var handles = new List<SafeFileHandle>();
        try
        {
            foreach (var dir in directories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).Distinct(StringComparer.Ordinal))
                handles.Add(Lock(dir));
        }
        catch
        {
            foreach (var h in handles)
                h.Dispose();
            throw;
        }
        return new LogDirLock(handles);
    }

    /// <summary>Releases the locks; the `.lock` files stay, as in Kafka.</summary>
    public void Dispose()
    {
        foreach (var h in _handles)
            h.Dispose();
        _handles.Clear();
    }

    private static SafeFileHandle Lock(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!OperatingSystem.IsLinux())
            return LockPortable(dir, path);
        var fd = open(path, ORdWr | OCreat | OCloExec, Convert.ToInt32("644", 8));
        if (fd < 0)
            throw new KafkaStorageException($"Cannot open lock file {path}: errno {Marshal.GetLastPInvokeError()}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (flock(fd, LockEx | LockNb) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw errno == EWouldBlock
                ? Locked(dir)
                : new KafkaStorageException($"Cannot lock {path}: errno {errno}");
        }
        return handle;
    }

    // .NET itself flocks a file opened with FileShare.None, except where the platform or
    // DOTNET_SYSTEM_IO_DISABLEFILELOCKING prevents it; hence the explicit flock above on Linux.
    private static SafeFileHandle LockPortable(string dir, string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw Locked(dir);
        }
    }

    private static KafkaStorageException Locked(string dir) =>
        new($"Failed to acquire lock on file {FileName} in {dir}. A Kafka instance in another process or thread is using this directory.");

    private static int open(string path, int flags, int mode)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        return open(bytes, flags, mode);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(byte[] path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);
}
