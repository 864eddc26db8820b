namespace KafkaOperator.Groups.Tests;

/// <summary>A clock tests move by hand; its timers fire synchronously inside <see cref="Advance"/>, in deadline order.</summary>
internal sealed class ManualTimeProvider(long startMs = 1_700_000_000_000) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private long _nowMs = startMs;

    public long NowMs
    {
        get
        {
            lock (_lock)
                return _nowMs;
        }
    }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_lock)
            _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves time forward, firing every timer that comes due on the way at its own due time.</summary>
    public void Advance(long ms)
    {
        long target;
        lock (_lock)
            target = _nowMs + ms;
        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (var t in _timers)
                {
                    if (t.DueMs is { } due && due <= target && (next is null || due < next.DueMs))
                        next = t;
                }
                if (next is null)
                {
                    _nowMs = target;
                    return;
                }
                _nowMs = Math.Max(_nowMs, next.DueMs!.Value);
                next.DueMs = null;
            }
            next.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueMs { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
                DueMs = dueTime == Timeout.InfiniteTimeSpan ? null : owner._nowMs + (long)dueTime.TotalMilliseconds;
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
                owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
