using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Groups;

namespace KafkaOperator.Server.Handlers;

/// <summary>OffsetCommit 0–9: from the group's current generation, or a simple commit outside any group.</summary>
public sealed class OffsetCommitHandler(BrokerServices services) : ApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetCommit;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request)
    {
        var groupError = context.Version == 0
            ? (string.IsNullOrEmpty(request.GroupId) ? ErrorCode.InvalidGroupId : ErrorCode.None)
            : services.Groups.ValidateCommit(request.GroupId, request.GenerationIdOrMemberEpoch, request.MemberId);
        var maxMetadata = services.Config.GetInt("offset.metadata.max.bytes");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var response = new OffsetCommitResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var p in topic.Partitions)
            {
                var error = groupError;
                if (error == ErrorCode.None && services.Replicas.Get(topic.Name, p.PartitionIndex) is null)
                    error = ErrorCode.UnknownTopicOrPartition;
                else if (error == ErrorCode.None && p.CommittedMetadata is { Length: var len } && len > maxMetadata)
                    error = ErrorCode.OffsetMetadataTooLarge;
                if (error == ErrorCode.None)
                    services.Groups.Commit(request.GroupId, topic.Name, p.PartitionIndex, new CommittedOffset(p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata, now));
                topicResult.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error });
            }
        }
        return new(response);
    }
}
