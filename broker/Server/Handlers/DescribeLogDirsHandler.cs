using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// DescribeLogDirs 1–4: every log dir of this broker (absolute path) with the replicas it holds there, each with its
/// size in bytes (all segments) and offset lag (<see cref="Partition.OffsetLag"/>); never future logs (this broker has
/// no AlterReplicaLogDirs). Null topics mean every replica; named partitions this broker does not hold are left out,
/// as in Kafka. v4 adds each dir's file system size and free bytes (-1 when they cannot be read). A partition whose log
/// could not be loaded is not listed (its dir is still online here, unlike Kafka's offline dirs).
/// </summary>
public sealed class DescribeLogDirsHandler(BrokerServices services) : ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeLogDirs;

    public override short MinVersion => 1;

    public override short MaxVersion => 4;

    protected override ValueTask<DescribeLogDirsResponse?> HandleAsync(RequestContext context, DescribeLogDirsRequest request)
    {
        HashSet<(string, int)>? wanted = null;
        if (request.Topics is { } topics)
        {
            wanted = [];
            foreach (var t in topics)
            {
                foreach (var p in t.Partitions)
                    wanted.Add((t.Topic, p));
            }
        }
        var byDir = new Dictionary<string, List<Partition>>(StringComparer.Ordinal);
        foreach (var partition in services.Replicas.Hosted)
        {
            if (wanted is not null && !wanted.Contains((partition.Topic, partition.Index)))
                continue;
            var dir = Path.GetFullPath(partition.Log.LogDir);
            if (!byDir.TryGetValue(dir, out var list))
                byDir[dir] = list = [];
            list.Add(partition);
        }
        var response = new DescribeLogDirsResponse();
        foreach (var dir in services.Config.LogDirs.Select(d => Path.GetFullPath(d)).Distinct(StringComparer.Ordinal))
        {
            var result = new DescribeLogDirsResponse.DescribeLogDirsResult { LogDir = dir };
            foreach (var topic in (byDir.GetValueOrDefault(dir) ?? []).GroupBy(p => p.Topic, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                result.Topics.Add(new DescribeLogDirsResponse.DescribeLogDirsTopic
                {
                    Name = topic.Key,
                    Partitions = [.. topic.OrderBy(p => p.Index).Select(p => new DescribeLogDirsResponse.DescribeLogDirsPartition
                    {
                        PartitionIndex = p.Index,
                        PartitionSize = p.Log.SizeInBytes,
                        OffsetLag = p.OffsetLag,
                        IsFutureKey = false,
                    })],
                });
            }
            if (context.Version >= 4)
                (result.TotalBytes, result.UsableBytes) = Space(dir);
            response.Results.Add(result);
        }
        return new(response);
    }

    /// <summary>The file system's size and the bytes this process may still write there; -1 when they cannot be read.</summary>
    private static (long Total, long Usable) Space(string dir)
    {
        try
        {
            var drive = new DriveInfo(dir);
            return (drive.TotalSize, drive.AvailableFreeSpace);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (-1, -1);
        }
    }
}
