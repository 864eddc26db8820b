using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>OffsetFetch 0–9: one group up to v7 (null topics = all from v2), several groups from v8.</summary>
public sealed class OffsetFetchHandler(BrokerServices services) : ApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetFetch;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request)
    {
        var version = context.Version;
        var coordinator = services.Groups.Coordinator;
        var response = new OffsetFetchResponse();
        if (version >= 8)
        {
            foreach (var group in request.Groups)
            {
                var asked = group.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
                var result = coordinator.FetchOffsets(group.GroupId, asked, request.RequireStable);
                var g = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)result.Error };
                foreach (var byTopic in result.Offsets.GroupBy(o => o.Partition.Topic))
                {
                    g.Topics.Add(new OffsetFetchResponse.OffsetFetchResponseTopics
                    {
                        Name = byTopic.Key,
                        Partitions = [.. byTopic.Select(o => new OffsetFetchResponse.OffsetFetchResponsePartitions
                        {
                            PartitionIndex = o.Partition.Partition,
                            CommittedOffset = o.Offset,
                            CommittedLeaderEpoch = o.LeaderEpoch,
                            Metadata = o.Metadata,
                            ErrorCode = (short)o.Error,
                        })],
                    });
                }
                response.Groups.Add(g);
            }
            return ValueTask.FromResult<OffsetFetchResponse?>(response);
        }

        var partitions = version >= 2 && request.Topics is null
            ? null
            : (request.Topics ?? []).SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
        var single = coordinator.FetchOffsets(request.GroupId, partitions, version >= 7 && request.RequireStable);
        if (version >= 2)
            response.ErrorCode = (short)single.Error;
        var offsets = single.Offsets;
        if (single.Error != ErrorCode.None && version < 2 && partitions is not null)
        {
            // v0-v1 have no group-level error: every partition carries it.
            offsets = [.. partitions.Select(tp => new FetchedOffset(tp, -1, -1, "", single.Error))];
        }
        foreach (var byTopic in offsets.GroupBy(o => o.Partition.Topic))
        {
            response.Topics.Add(new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = byTopic.Key,
                Partitions = [.. byTopic.Select(o => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = o.Partition.Partition,
                    CommittedOffset = o.Offset,
                    CommittedLeaderEpoch = o.LeaderEpoch,
                    Metadata = o.Metadata,
                    ErrorCode = (short)o.Error,
                })],
            });
        }
        return ValueTask.FromResult<OffsetFetchResponse?>(response);
    }
}
