using KafkaOperator.Server.Metrics.HotKeys;

namespace KafkaOperator.Server.Partitions;

public sealed partial class Partition
{
    /// <summary>
    /// Recent records, bytes and heaviest keys of what this replica appended as leader (hot-key detection); the
    /// replica manager gives it the broker's metrics.hotkey.* parameters.
    /// </summary>
    public PartitionKeyStats KeyStats { get; init; } = new();
}
