using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>OffsetCommit 0–9: answered after the commit records are appended to __consumer_offsets and replicated to its ISR.</summary>
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
        // As Kafka, a commit is answered once the ISR of its __consumer_offsets partition has it (acks=all), so that
        // it survives the loss of the coordinator; on a single replica that is at once.
        var offsets = services.Replicas.Get(OffsetsPartitioner.OffsetsTopic, services.Groups.Coordinator.PartitionFor(request.GroupId));
        if (offsets is not null && errors.Any(e => e == ErrorCode.None) && offsets.HighWatermark < offsets.LogEndOffset)
            return AwaitReplicationAsync(request, errors, offsets, offsets.LogEndOffset, context.Stopping);
        return ValueTask.FromResult<OffsetCommitResponse?>(Respond(request, errors));
    }

    private async ValueTask<OffsetCommitResponse?> AwaitReplicationAsync(OffsetCommitRequest request, IReadOnlyList<ErrorCode> errors,
        Partitions.Partition offsets, long endOffset, CancellationToken stopping)
    {
        var replicated = await offsets.WaitForHighWatermarkAsync(endOffset, services.Config.GetInt("offsets.commit.timeout.ms"), stopping).ConfigureAwait(false);
        if (replicated == ErrorCode.None)
            return Respond(request, errors);
        // Kafka's mapping of a failed offsets append: the client retries (or finds the new coordinator).
        var mapped = replicated switch
        {
            ErrorCode.NotLeaderOrFollower => ErrorCode.NotCoordinator,
            ErrorCode.RequestTimedOut or ErrorCode.NotEnoughReplicasAfterAppend => ErrorCode.CoordinatorNotAvailable,
            _ => replicated,
        };
        return Respond(request, [.. errors.Select(e => e == ErrorCode.None ? mapped : e)]);
    }

    private static OffsetCommitResponse Respond(OffsetCommitRequest request, IReadOnlyList<ErrorCode> errors)
    {
        var response = new OffsetCommitResponse();
        var i = 0;
        foreach (var topic in request.Topics)
        {
            var t = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (var p in topic.Partitions)
                t.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)errors[i++] });
            response.Topics.Add(t);
        }
        return response;
    }
}
