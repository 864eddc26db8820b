using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// AlterPartition 0–3, the active controller's side: a partition leader asks to change its ISR. Only the active
/// controller answers (others say NOT_CONTROLLER), or, when that is a controller-only node, the broker the leader
/// sends it to (<see cref="BrokerServices.StandsInForController"/>: itself). The checks are
/// <see cref="AlterPartitionValidator"/>'s; each accepted change is committed as its own PartitionChangeRecord,
/// so one partition whose state moved on between the check and the commit (INVALID_UPDATE_VERSION at apply) does
/// not take the others down with it, as a BatchRecord would. An accepted partition is answered with its state
/// right after its record applied, as Kafka's controller answers with the partition merged with its change.
/// </summary>
public sealed class AlterPartitionHandler(BrokerServices services) : ApiHandler<AlterPartitionRequest, AlterPartitionResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterPartition;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<AlterPartitionResponse?> HandleAsync(RequestContext context, AlterPartitionRequest request)
    {
        var quorum = services.Quorum;
        if (!services.ActsAsController())
            return new AlterPartitionResponse { ErrorCode = (short)ErrorCode.NotController };
        var plan = AlterPartitionValidator.Validate(quorum.Store.Image, request, context.Version);
        if (plan.Error != ErrorCode.None)
            return new AlterPartitionResponse { ErrorCode = (short)plan.Error };

        var commits = new Dictionary<AlterPartitionDecision, Task<ErrorCode>>(ReferenceEqualityComparer.Instance);
        foreach (var decision in plan.Topics.SelectMany(t => t.Partitions))
        {
            if (decision.Change is { } change)
                commits[decision] = CommitAsync(quorum.Store, change, context.Stopping);
        }
        await Task.WhenAll(commits.Values).ConfigureAwait(false);

        var response = new AlterPartitionResponse();
        foreach (var topic in plan.Topics)
        {
            var result = new AlterPartitionResponse.TopicData { TopicName = topic.TopicName, TopicId = topic.TopicId };
            foreach (var decision in topic.Partitions)
            {
                var error = commits.TryGetValue(decision, out var commit) ? commit.Result : decision.Error;
                // The partition existed when checked, so a record refused as unknown found its topic deleted since.
                if (error == ErrorCode.UnknownTopicOrPartition && decision.Change is not null && context.Version > 1)
                    error = ErrorCode.UnknownTopicId;
                result.Partitions.Add(error == ErrorCode.None && decision.Result is { } p
                    ? new AlterPartitionResponse.PartitionData
                    {
                        PartitionIndex = decision.PartitionIndex,
                        LeaderId = p.Leader,
                        LeaderEpoch = p.LeaderEpoch,
                        Isr = [.. p.Isr],
                        PartitionEpoch = p.PartitionEpoch,
                    }
                    : new AlterPartitionResponse.PartitionData { PartitionIndex = decision.PartitionIndex, ErrorCode = (short)error });
            }
            response.Topics.Add(result);
        }
        return response;
    }

    /// <summary>The record's own outcome: its apply error, or NOT_CONTROLLER (retriable) when the quorum could not commit it.</summary>
    private static async Task<ErrorCode> CommitAsync(QuorumMetadataStore store, PartitionChangeRecord change, CancellationToken cancellationToken)
    {
        try
        {
            var result = await store.ProposeAsync(change, cancellationToken).ConfigureAwait(false);
            if (result.Error != ErrorCode.None)
                Log.Info($"AlterPartition: the ISR change of partition {change.Partition} of topic id {change.TopicId} did not apply ({result.Error}: {result.Message})");
            return result.Error;
        }
        catch (Quorum.QuorumException ex)
        {
            Log.Info($"AlterPartition: the ISR change of partition {change.Partition} of topic id {change.TopicId} was not committed: {ex.Message}");
            return ErrorCode.NotController;
        }
    }
}
