using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Tests;

public sealed class LogDirLockTests
{
    [Fact]
    public void A_locked_dir_is_refused_until_released_and_a_failed_acquire_keeps_no_lock()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var held = LogDirLock.Acquire([a.Path]);

        // b comes first: it must be released again when a is refused.
        var refused = Assert.Throws<KafkaStorageException>(() => LogDirLock.Acquire([b.Path, a.Path]));
        Assert.Equal($"Failed to acquire lock on file .lock in {a.Path}. A Kafka instance in another process or thread is using this directory.", refused.Message);
        LogDirLock.Acquire([b.Path]).Dispose();

        held.Dispose();
        using var again = LogDirLock.Acquire([a.Path, a.Path + "/"]); // one dir spelled twice is locked once
        Assert.True(File.Exists(Path.Combine(a.Path, ".lock")));
    }
}
