using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// AlterPartitionReassignments 0–1 (KIP-455; v1 adds KIP-860's AllowReplicationFactorChange). Any broker answers, as
/// for CreateTopics: each partition's decision (<see cref="ReassignmentRules"/>) is taken on this node's image and
/// committed through the metadata quorum as its own PartitionChangeRecord, so one bad or stale partition does not
/// hold up the others. A record refused because the partition changed since it was decided (INVALID_UPDATE_VERSION,
/// e.g. an ISR change) is decided again on the newer image. The active controller completes the reassignments.
/// A single node has one broker: only a "move" to itself is valid (and changes nothing).
/// </summary>
public sealed class AlterPartitionReassignmentsHandler(BrokerServices services) : ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>
{
    private const int Attempts = 5;

    public override ApiKey ApiKey => ApiKey.AlterPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<AlterPartitionReassignmentsResponse?> HandleAsync(RequestContext context, AlterPartitionReassignmentsRequest request)
    {
        var response = new AlterPartitionReassignmentsResponse { AllowReplicationFactorChange = request.AllowReplicationFactorChange };
        var work = new List<(AlterPartitionReassignmentsResponse.ReassignablePartitionResponse Result, Task<(ErrorCode, string?)> Outcome)>();
        foreach (var topic in request.Topics)
        {
            var result = new AlterPartitionReassignmentsResponse.ReassignableTopicResponse { Name = topic.Name };
            response.Responses.Add(result);
            foreach (var p in topic.Partitions)
            {
                var partition = new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse { PartitionIndex = p.PartitionIndex };
                result.Partitions.Add(partition);
                work.Add((partition, ReassignAsync(topic.Name, p.PartitionIndex, p.Replicas, request.AllowReplicationFactorChange, context.Stopping)));
            }
        }
        foreach (var (result, outcome) in work)
        {
            var (error, message) = await outcome.ConfigureAwait(false);
            result.ErrorCode = (short)error;
            result.ErrorMessage = error == ErrorCode.None ? null : message ?? error.ToString();
        }
        return response;
    }

    private async Task<(ErrorCode, string?)> ReassignAsync(string topicName, int partition, List<int>? target, bool allowRfChange, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var image = services.Metadata.Image;
            if (image.Topic(topicName) is not { } topic)
                return (ErrorCode.UnknownTopicOrPartition, $"Unable to find topic {topicName}");
            var single = image.Brokers.Count == 0;
            bool IsRegistered(int id) => single ? id == services.Config.NodeId : image.Brokers.ContainsKey(id);
            bool IsLive(int id) => single ? id == services.Config.NodeId : image.Brokers.TryGetValue(id, out var b) && !b.Fenced;
            var unclean = string.Equals(TopicConfig.Create(services.Config, topic.Configs).Value("unclean.leader.election.enable"), "true", StringComparison.OrdinalIgnoreCase);
            var decision = ReassignmentRules.Decide(topic, partition, target, allowRfChange, unclean, IsRegistered, IsLive);
            if (decision.Error != ErrorCode.None || decision.Change is not { } change)
                return (decision.Error, decision.Message);
            if (services.Quorum is not { } quorum)
                return (ErrorCode.InvalidReplicaAssignment, "a single node cannot move replicas");
            try
            {
                var result = await quorum.Store.ProposeAsync(change, cancellationToken).ConfigureAwait(false);
                if (result.Error == ErrorCode.InvalidUpdateVersion && attempt < Attempts)
                    continue;
                if (result.Error == ErrorCode.None)
                    Log.Info($"reassignment of {topicName}-{partition}: replicas [{string.Join(',', change.Replicas ?? [])}], adding [{string.Join(',', change.AddingReplicas ?? [])}], removing [{string.Join(',', change.RemovingReplicas ?? [])}]");
                return (result.Error, result.Message);
            }
            catch (Quorum.QuorumException ex)
            {
                return (ErrorCode.NotController, ex.Message);
            }
        }
    }
}
