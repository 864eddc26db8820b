namespace KafkaOperator.Operator.Queue;

/// <summary>
/// A client-go style work queue: a key is handed to at most one worker at a time (work on one object is serialised),
/// adding a key that is already queued is a no-op (dedup), adding a key that is being processed queues it once more
/// for after the current pass, failed keys come back after an exponential backoff.
/// Thread-safe; every method may be called from any thread.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly object _lock = new();
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _disposed = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;

    public WorkQueue(TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, TimeProvider? time = null)
    {
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(500);
        _maxDelay = maxDelay ?? TimeSpan.FromMinutes(5);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Keys waiting for a worker (not counting delayed ones or those being processed).</summary>
    public int Depth
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_lock)
        {
            _waiting.Remove(key);
            if (!_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }
            _ready.Enqueue(key);
        }
        _signal.Release();
    }

    /// <summary>Adds the key after a delay; an earlier pending deadline for the same key wins.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        var deadline = _time.GetUtcNow() + delay;
        lock (_lock)
        {
            if (_waiting.TryGetValue(key, out var existing) && existing <= deadline)
            {
                return;
            }
            _waiting[key] = deadline;
        }
        _ = FireAsync(key, deadline, delay);
    }

    /// <summary>Re-adds a failed key after base * 2^(failures-1), capped.</summary>
    public TimeSpan AddRateLimited(string key)
    {
        int failures;
        lock (_lock)
        {
            failures = _failures[key] = _failures.GetValueOrDefault(key) + 1;
        }
        var delay = Backoff(failures);
        AddAfter(key, delay);
        return delay;
    }

    public TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var ms = Math.Min(_baseDelay.TotalMilliseconds * factor, _maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }

    public int Failures(string key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Clears the failure count after a success.</summary>
    public void Forget(string key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Waits for the next key and marks it as being processed; call <see cref="Done"/> afterwards.</summary>
    public async Task<string> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            lock (_lock)
            {
                if (_ready.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    public void Done(string key)
    {
        lock (_lock)
        {
            _processing.Remove(key);
            if (!_dirty.Contains(key))
            {
                return;
            }
            _ready.Enqueue(key);
        }
        _signal.Release();
    }

    private async Task FireAsync(string key, DateTimeOffset deadline, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            // Superseded by an earlier deadline or by an immediate Add.
            if (!_waiting.TryGetValue(key, out var current) || current != deadline)
            {
                return;
            }
            _waiting.Remove(key);
        }
        Add(key);
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        _signal.Dispose();
    }
}
