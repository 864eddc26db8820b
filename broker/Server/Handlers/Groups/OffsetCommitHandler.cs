using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>OffsetCommit 0–9: answered after the commit records are appended to __consumer_offsets.</summary>
public sealed class OffsetCommitHandler(BrokerServices services) : ApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetCommit;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request)
    {
        var version = context.Version;
        var entries = new List<OffsetCommitEntry>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                entries.Add(new OffsetCommitEntry(new TopicPartition(topic.Name, p.PartitionIndex), p.CommittedOffset,
                    version >= 6 ? p.CommittedLeaderEpoch : -1, p.CommittedMetadata, version == 1 ? p.CommitTimestamp : -1));
            }
        }
        var commit = new OffsetCommitParams(
            request.GroupId,
            version >= 1 ? request.GenerationIdOrMemberEpoch : -1,
            version >= 1 ? request.MemberId : "",
            version >= 7 ? request.GroupInstanceId : null,
            version is >= 2 and <= 4 ? request.RetentionTimeMs : -1,
            entries);
        var errors = services.Groups.Coordinator.CommitOffsets(commit);
        var response = new OffsetCommitResponse();
        var i = 0;
        foreach (var topic in request.Topics)
        {
            var t = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (var p in topic.Partitions)
                t.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)errors[i++] });
            response.Topics.Add(t);
        }
        return ValueTask.FromResult<OffsetCommitResponse?>(response);
    }
}
