using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>KIP-966's paginated topic description: empty <see cref="Topics"/> means every topic.</summary>
[ApiMessage(ApiKey.DescribeTopicPartitions, MessageKind.Request, 0, 0, FlexibleFrom = 0)]
public sealed class DescribeTopicPartitionsRequest
{
    [Field(0)]
    public List<TopicRequest> Topics { get; set; } = [];

    [Field(1)]
    public int ResponsePartitionLimit { get; set; } = 2000;

    /// <summary>Where to resume: the NextCursor of the previous response; null starts at the first topic.</summary>
    [Field(2, NullableVersions = "0+")]
    public DescribeTopicPartitionsCursor? Cursor { get; set; }

    public sealed class TopicRequest
    {
        [Field(0)]
        public string Name { get; set; } = "";
    }
}

[ApiMessage(ApiKey.DescribeTopicPartitions, MessageKind.Response, 0, 0, FlexibleFrom = 0)]
public sealed class DescribeTopicPartitionsResponse
{
    [Field(0, Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<DescribeTopicPartitionsResponseTopic> Topics { get; set; } = [];

    /// <summary>The first topic and partition the limit left out; null when the response is complete.</summary>
    [Field(2, NullableVersions = "0+")]
    public DescribeTopicPartitionsCursor? NextCursor { get; set; }

    public sealed class DescribeTopicPartitionsResponseTopic
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1, NullableVersions = "0+")]
        public string? Name { get; set; } = "";

        [Field(2, Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(3, Ignorable = true)]
        public bool IsInternal { get; set; }

        [Field(4)]
        public List<DescribeTopicPartitionsResponsePartition> Partitions { get; set; } = [];

        [Field(5)]
        public int TopicAuthorizedOperations { get; set; } = int.MinValue;
    }

    public sealed class DescribeTopicPartitionsResponsePartition
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1)]
        public int PartitionIndex { get; set; }

        [Field(2)]
        public int LeaderId { get; set; }

        [Field(3, Ignorable = true)]
        public int LeaderEpoch { get; set; } = -1;

        [Field(4)]
        public List<int> ReplicaNodes { get; set; } = [];

        [Field(5)]
        public List<int> IsrNodes { get; set; } = [];

        [Field(6, NullableVersions = "0+")]
        public List<int>? EligibleLeaderReplicas { get; set; }

        [Field(7, NullableVersions = "0+")]
        public List<int>? LastKnownElr { get; set; }

        [Field(8, Ignorable = true)]
        public List<int> OfflineReplicas { get; set; } = [];
    }
}

/// <summary>A topic and the partition index to start from (the request's Cursor, the response's NextCursor).</summary>
public sealed class DescribeTopicPartitionsCursor
{
    [Field(0)]
    public string TopicName { get; set; } = "";

    [Field(1)]
    public int PartitionIndex { get; set; }
}
