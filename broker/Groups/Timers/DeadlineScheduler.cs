namespace KafkaOperator.Groups.Timers;

/// <summary>
/// Runs keyed actions at deadlines with one timer from an injectable <see cref="TimeProvider"/>: no thread or
/// timer per member. Scheduling a key again replaces its pending action; <see cref="Cancel"/> drops it. Due actions
/// run on the timer's callback, outside the scheduler's lock (they take group locks). Tests drive the clock with a
/// manual TimeProvider whose timers fire as time advances.
/// Exception policy: an action that throws is reported to <see cref="Error"/> and does not stop the others.
/// </summary>
public sealed class DeadlineScheduler : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Entry, long> _queue = new();
    private readonly ITimer _timer;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public DeadlineScheduler(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _timer = time.CreateTimer(_ => RunDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public event Action<string, Exception>? Error;

    public long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public int PendingCount
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    public void Schedule(string key, long deadlineMs, Action action)
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            if (_entries.Remove(key, out var old))
                old.Cancelled = true;
            var entry = new Entry(key, deadlineMs, action);
            _entries[key] = entry;
            _queue.Enqueue(entry, deadlineMs);
            if (deadlineMs < _armedFor)
                Arm(deadlineMs);
        }
    }

    public void Cancel(string key)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out var old))
                old.Cancelled = true;
        }
    }

    public bool IsScheduled(string key)
    {
        lock (_lock)
            return _entries.ContainsKey(key);
    }

    /// <summary>Runs every action whose deadline has passed by the clock; the timer calls this.</summary>
    public void RunDue()
    {
        List<Entry>? due = null;
        lock (_lock)
        {
            if (_disposed)
                return;
            var now = NowMs;
            while (_queue.TryPeek(out var head, out var deadline))
            {
                if (head.Cancelled)
                {
                    _queue.Dequeue();
                    continue;
                }
                if (deadline > now)
                    break;
                _queue.Dequeue();
                (due ??= []).Add(head);
            }
            _armedFor = long.MaxValue;
            if (_queue.TryPeek(out _, out var next))
                Arm(next);
        }
        if (due is null)
            return;
        foreach (var entry in due)
        {
            // An earlier action in this round may have rescheduled or cancelled this key.
            lock (_lock)
            {
                if (entry.Cancelled)
                    continue;
                entry.Cancelled = true;
                if (_entries.TryGetValue(entry.Key, out var current) && current == entry)
                    _entries.Remove(entry.Key);
            }
            try
            {
                entry.Action();
            }
            catch (Exception ex)
            {
                Error?.Invoke(entry.Key, ex);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _entries.Clear();
            _queue.Clear();
        }
        _timer.Dispose();
    }

    private void Arm(long deadlineMs)
    {
        _armedFor = deadlineMs;
        var delay = Math.Max(0, deadlineMs - NowMs);
        _timer.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
    }

    private sealed class Entry(string key, long deadline, Action action)
    {
        public string Key { get; } = key;

        public long Deadline { get; } = deadline;

        public Action Action { get; } = action;

        public bool Cancelled { get; set; }
    }
}
