using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>OffsetDelete 0: GROUP_SUBSCRIBED_TO_TOPIC for topics an active consumer group still reads.</summary>
public sealed class OffsetDeleteHandler(BrokerServices services) : ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetDelete;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request)
    {
        var asked = request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p.PartitionIndex))).ToList();
        var result = services.Groups.Coordinator.DeleteOffsets(request.GroupId, asked);
        var response = new OffsetDeleteResponse { ErrorCode = (short)result.Error };
        if (result.Error == ErrorCode.None)
        {
            foreach (var byTopic in result.Partitions.GroupBy(p => p.Partition.Topic))
            {
                response.Topics.Add(new OffsetDeleteResponse.OffsetDeleteResponseTopic
                {
                    Name = byTopic.Key,
                    Partitions = [.. byTopic.Select(p => new OffsetDeleteResponse.OffsetDeleteResponsePartition
                    {
                        PartitionIndex = p.Partition.Partition,
                        ErrorCode = (short)p.Error,
                    })],
                });
            }
        }
        return ValueTask.FromResult<OffsetDeleteResponse?>(response);
    }
}
