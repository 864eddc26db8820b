using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>OffsetFetch 0–9: committed offsets (-1 when none); null topics mean every committed partition.</summary>
public sealed class OffsetFetchHandler(BrokerServices services) : ApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetFetch;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request)
    {
        var response = new OffsetFetchResponse();
        if (context.Version < 8)
        {
            var requested = request.Topics?.Select(t => (t.Name, t.PartitionIndexes)).ToList();
            foreach (var (name, parts) in Collect(request.GroupId, requested))
            {
                var topic = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = name };
                foreach (var (p, offset, epoch, metadata) in parts)
                    topic.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition { PartitionIndex = p, CommittedOffset = offset, CommittedLeaderEpoch = epoch, Metadata = metadata });
                response.Topics.Add(topic);
            }
            return new(response);
        }
        foreach (var g in request.Groups)
        {
            var group = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = g.GroupId };
            var requested = g.Topics?.Select(t => (t.Name, t.PartitionIndexes)).ToList();
            foreach (var (name, parts) in Collect(g.GroupId, requested))
            {
                var topic = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = name };
                foreach (var (p, offset, epoch, metadata) in parts)
                    topic.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartitions { PartitionIndex = p, CommittedOffset = offset, CommittedLeaderEpoch = epoch, Metadata = metadata });
                group.Topics.Add(topic);
            }
            response.Groups.Add(group);
        }
        return new(response);
    }

    private List<(string Name, List<(int Partition, long Offset, int Epoch, string? Metadata)> Parts)> Collect(string groupId, List<(string Name, List<int> Partitions)>? requested)
    {
        var result = new List<(string, List<(int, long, int, string?)>)>();
        if (requested is null)
        {
            foreach (var (topic, list) in services.Groups.FetchAll(groupId))
                result.Add((topic, list.Select(x => (x.Partition, x.Offset.Offset, x.Offset.LeaderEpoch, x.Offset.Metadata)).ToList()));
            return result;
        }
        foreach (var (name, partitions) in requested)
        {
            var parts = new List<(int, long, int, string?)>();
            foreach (var p in partitions)
            {
                var committed = services.Groups.Fetch(groupId, name, p);
                parts.Add(committed is { } c ? (p, c.Offset, c.LeaderEpoch, c.Metadata) : (p, -1, -1, ""));
            }
            result.Add((name, parts));
        }
        return result;
    }
}
