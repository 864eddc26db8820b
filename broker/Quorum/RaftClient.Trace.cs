using System.Diagnostics;

namespace KafkaOperator.Quorum;

// Timing of large entries (a fencing's or a controlled shutdown's batch of thousands of partition changes) through
// the quorum: appended on the leader, durable there, received and durable on a follower, committed. Rare events, so
// a log line each; the times are the monotonic clock in microseconds, the same clock in every process of a machine,
// so one entry's lines from several brokers line up.
internal sealed partial class RaftClient
{
    /// <summary>Payloads at least this large are traced.</summary>
    public const int LargeEntryBytes = 16 * 1024;

    private Action<string>? _largeEntryTrace;
    private long _tracedUpTo = -1;
    private long _tracedFlushedUpTo = -1;

    public void AttachLargeEntryTrace(Action<string> trace) => _largeEntryTrace = trace;

    public static long MonotonicMicros() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    private void TraceAppended(IReadOnlyList<RaftEntry> entries, string role)
    {
        if (_largeEntryTrace is not { } trace)
            return;
        foreach (var e in entries)
        {
            if (e.Payload.Length >= LargeEntryBytes)
            {
                trace($"trace: entry {e.Offset} ({e.Payload.Length} bytes) appended as {role} t={MonotonicMicros()}");
                _tracedUpTo = Math.Max(_tracedUpTo, e.Offset);
            }
        }
    }

    private void TraceFlushed()
    {
        if (_largeEntryTrace is not { } trace || _tracedUpTo <= _tracedFlushedUpTo || _log.FlushedOffset <= _tracedUpTo)
            return;
        _tracedFlushedUpTo = _tracedUpTo;
        trace($"trace: entry {_tracedUpTo} durable here t={MonotonicMicros()}");
    }

    private void TraceCommitted(long highWatermark)
    {
        if (_largeEntryTrace is { } trace && _tracedUpTo >= HighWatermark && _tracedUpTo < highWatermark)
            trace($"trace: entry {_tracedUpTo} committed (high watermark {highWatermark}) t={MonotonicMicros()}");
    }
}
