using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// DescribeQuorum 0–2: the metadata quorum as its leader sees it. Only <c>__cluster_metadata</c> partition 0 is
/// described; any other partition gets UNKNOWN_TOPIC_OR_PARTITION. A node that is not the leader answers
/// NOT_LEADER_OR_FOLLOWER with the leader id and epoch it knows, so the caller can ask the leader. A single node
/// is a quorum of one voter, which leads it. Observers are the broker-only nodes (process.roles=broker) that fetched
/// the metadata log from the leader within the last five minutes, with their log end offsets.
/// </summary>
public sealed class DescribeQuorumHandler(Config.BrokerConfig config, Func<Controller.QuorumHost> quorum) : ApiHandler<DescribeQuorumRequest, DescribeQuorumResponse>
{
    public DescribeQuorumHandler(BrokerServices services)
        : this(services?.Config ?? throw new ArgumentNullException(nameof(services)), () => services.Quorum)
    {
    }

    public override ApiKey ApiKey => ApiKey.DescribeQuorum;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DescribeQuorumResponse?> HandleAsync(RequestContext context, DescribeQuorumRequest request)
    {
        var status = quorum().Describe();
        var response = new DescribeQuorumResponse();
        foreach (var topic in request.Topics)
        {
            var result = new DescribeQuorumResponse.TopicData { TopicName = topic.TopicName };
            foreach (var partition in topic.Partitions)
            {
                result.Partitions.Add(topic.TopicName == TopicNames.MetadataTopic && partition.PartitionIndex == 0
                    ? Describe(status, config.NodeId)
                    : new DescribeQuorumResponse.PartitionData
                    {
                        PartitionIndex = partition.PartitionIndex,
                        ErrorCode = (short)ErrorCode.UnknownTopicOrPartition,
                    });
            }
            response.Topics.Add(result);
        }
        // v2: where each voter's quorum listener is (dropped for older versions).
        var listener = config.ControllerListener?.Name ?? "CONTROLLER";
        foreach (var voter in quorum().CurrentVoters().Where(v => v.Port > 0))
        {
            response.Nodes.Add(new DescribeQuorumResponse.Node
            {
                NodeId = voter.Id,
                Listeners = [new DescribeQuorumResponse.Listener { Name = listener, Host = voter.Host, Port = (ushort)voter.Port }],
            });
        }
        return new(response);
    }

    /// <summary>The metadata partition from <paramref name="status"/>; NOT_LEADER_OR_FOLLOWER unless this node leads.</summary>
    public static DescribeQuorumResponse.PartitionData Describe(QuorumStatus status, int nodeId)
    {
        ArgumentNullException.ThrowIfNull(status);
        var result = new DescribeQuorumResponse.PartitionData
        {
            PartitionIndex = 0,
            LeaderId = status.Leader.LeaderId,
            LeaderEpoch = status.Leader.Epoch,
            HighWatermark = status.HighWatermark,
        };
        if (status.Leader.LeaderId != nodeId || status.Voters.Count == 0)
        {
            result.ErrorCode = (short)ErrorCode.NotLeaderOrFollower;
            return result;
        }
        foreach (var voter in status.Voters.OrderBy(v => v.Id))
            result.CurrentVoters.Add(State(voter, status.HighWatermark));
        foreach (var observer in status.Observers.OrderBy(v => v.Id))
            result.Observers.Add(State(observer, status.HighWatermark));
        return result;
    }

    private static DescribeQuorumResponse.ReplicaState State(VoterState replica, long highWatermark) => new()
    {
        ReplicaId = replica.Id,
        LogEndOffset = replica.EndOffset,
        LastFetchTimestamp = replica.LastFetchMs,
        LastCaughtUpTimestamp = replica.EndOffset >= highWatermark ? replica.LastFetchMs : -1,
    };
}
