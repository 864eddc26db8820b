using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// AlterPartition 0–3 (KIP-497, KIP-704, KIP-841, KIP-903): a partition leader asks the active controller to change
/// the ISR, based on the leader and partition epochs it knows. Topics by name up to v1, by id from v2; the ISR with
/// broker epochs from v3.
/// </summary>
[ApiMessage(ApiKey.AlterPartition, MessageKind.Request, 0, 3, FlexibleFrom = 0)]
public sealed class AlterPartitionRequest
{
    [Field(0)]
    public int BrokerId { get; set; }

    [Field(1)]
    public long BrokerEpoch { get; set; } = -1;

    [Field(2)]
    public List<TopicData> Topics { get; set; } = [];

    public sealed class TopicData
    {
        [Field(0, Versions = "0-1")]
        public string TopicName { get; set; } = "";

        [Field(1, Versions = "2+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public List<PartitionData> Partitions { get; set; } = [];
    }

    public sealed class PartitionData
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public int LeaderEpoch { get; set; }

        [Field(2, Versions = "0-2")]
        public List<int> NewIsr { get; set; } = [];

        [Field(3, Versions = "3+")]
        public List<BrokerState> NewIsrWithEpochs { get; set; } = [];

        [Field(4, Versions = "1+")]
        public sbyte LeaderRecoveryState { get; set; }

        [Field(5)]
        public int PartitionEpoch { get; set; }
    }

    public sealed class BrokerState
    {
        [Field(0, Versions = "3+")]
        public int BrokerId { get; set; }

        [Field(1, Versions = "3+")]
        public long BrokerEpoch { get; set; } = -1;
    }
}

[ApiMessage(ApiKey.AlterPartition, MessageKind.Response, 0, 3, FlexibleFrom = 0)]
public sealed class AlterPartitionResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2)]
    public List<TopicData> Topics { get; set; } = [];

    public sealed class TopicData
    {
        [Field(0, Versions = "0-1", Ignorable = true)]
        public string TopicName { get; set; } = "";

        [Field(1, Versions = "2+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public List<PartitionData> Partitions { get; set; } = [];
    }

    public sealed class PartitionData
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2)]
        public int LeaderId { get; set; }

        [Field(3)]
        public int LeaderEpoch { get; set; }

        [Field(4)]
        public List<int> Isr { get; set; } = [];

        [Field(5, Versions = "1+", Ignorable = true)]
        public sbyte LeaderRecoveryState { get; set; }

        [Field(6)]
        public int PartitionEpoch { get; set; }
    }
}
