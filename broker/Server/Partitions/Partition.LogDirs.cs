namespace KafkaOperator.Server.Partitions;

/// <summary>What DescribeLogDirs reports of a replica.</summary>
public sealed partial class Partition
{
    private long _leaderHighWatermark = -1;

    /// <summary>
    /// How far this replica's log end is behind: 0 on the leader; on a follower, the leader's high watermark from
    /// its last fetch response minus this log's end offset (0 at or past it). Kafka's brokers report
    /// max(HW − LEO, 0) of the local log, which a follower's HW (never above its own LEO) makes always 0; the
    /// leader's HW is the nearest thing to the leader's log end that a follower knows, so lag shows while it catches up.
    /// </summary>
    public long OffsetLag
    {
        get
        {
            lock (_lock)
            {
                if (_role.IsLeader)
                    return 0;
                return _leaderHighWatermark < 0 ? 0 : Math.Max(0, _leaderHighWatermark - Log.LogEndOffset);
            }
        }
    }
}
