using KafkaOperator.Groups.Persistence;
using KafkaOperator.Storage;

namespace KafkaOperator.Groups.Tests;

/// <summary>
/// A coordinator over real __consumer_offsets partition logs in a temp dir, with a manual clock. Reopen() closes
/// the logs and the coordinator and starts new ones on the same files, as a broker restart does.
/// </summary>
internal sealed class CoordinatorFixture : IDisposable
{
    public const string Topic = "orders";
    public const int TopicPartitions = 6;

    private readonly Func<GroupCoordinatorOptions, GroupCoordinatorOptions>? _configure;
    private PartitionLog?[] _logs = [];

    public CoordinatorFixture(int offsetsPartitions = 3, Func<GroupCoordinatorOptions, GroupCoordinatorOptions>? configure = null)
    {
        Dir = Path.Combine(Path.GetTempPath(), "groups-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        OffsetsPartitions = offsetsPartitions;
        _configure = configure;
        Coordinator = Open();
    }

    public string Dir { get; }

    public int OffsetsPartitions { get; }

    public ManualTimeProvider Time { get; } = new();

    public GroupCoordinator Coordinator { get; private set; }

    public PartitionLog Log(int partition) => _logs[partition]!;

    public void Reopen()
    {
        Close();
        Coordinator = Open();
    }

    public void Dispose()
    {
        Close();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private GroupCoordinator Open()
    {
        var config = new LogConfig { CleanupPolicy = "compact", SegmentBytes = 1024 * 1024 };
        _logs = new PartitionLog?[OffsetsPartitions];
        for (var p = 0; p < OffsetsPartitions; p++)
            _logs[p] = PartitionLog.Open(Dir, OffsetsPartitioner.OffsetsTopic, p, config);
        var logs = new OffsetsTopicLogs(OffsetsPartitions, p => _logs[p] is { } log ? new OffsetsPartitionLog(log, 0) : null);
        var options = new GroupCoordinatorOptions
        {
            InitialRebalanceDelayMs = 0,
            MinSessionTimeoutMs = 1000,
            MaxSessionTimeoutMs = 60_000,
            OffsetsTopicPartitions = OffsetsPartitions,
        };
        options = _configure?.Invoke(options) ?? options;
        var coordinator = new GroupCoordinator(options, logs, Time, tp => tp.Topic == Topic && tp.Partition >= 0 && tp.Partition < TopicPartitions);
        coordinator.LoadHostedPartitions();
        return coordinator;
    }

    private void Close()
    {
        Coordinator?.Dispose();
        foreach (var log in _logs)
            log?.Dispose();
    }
}
