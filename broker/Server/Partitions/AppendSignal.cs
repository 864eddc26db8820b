namespace KafkaOperator.Server.Partitions;

/// <summary>
/// Wakes fetches waiting for data on a partition. A waiter takes <see cref="WaitAsync"/> BEFORE it reads, so an
/// append between its read and its wait is not missed. Appends pay one volatile read when nobody waits.
/// </summary>
public sealed class AppendSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiters;

    public Task WaitAsync()
    {
        lock (_lock)
        {
            _waiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiters.Task;
        }
    }

    public void Notify()
    {
        if (Volatile.Read(ref _waiters) is null)
            return;
        TaskCompletionSource? waiters;
        lock (_lock)
        {
            waiters = _waiters;
            _waiters = null;
        }
        waiters?.TrySetResult();
    }
}
