using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.ListPartitionReassignments, MessageKind.Request, 0, 0, FlexibleFrom = 0)]
public sealed class ListPartitionReassignmentsRequest
{
    [Field(0)]
    public int TimeoutMs { get; set; } = 60000;

    /// <summary>Null lists every ongoing reassignment.</summary>
    [Field(1, NullableVersions = "0+")]
    public List<ListPartitionReassignmentsTopics>? Topics { get; set; }

    public sealed class ListPartitionReassignmentsTopics
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<int> PartitionIndexes { get; set; } = [];
    }
}

[ApiMessage(ApiKey.ListPartitionReassignments, MessageKind.Response, 0, 0, FlexibleFrom = 0)]
public sealed class ListPartitionReassignmentsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, NullableVersions = "0+")]
    public string? ErrorMessage { get; set; }

    [Field(3)]
    public List<OngoingTopicReassignment> Topics { get; set; } = [];

    public sealed class OngoingTopicReassignment
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<OngoingPartitionReassignment> Partitions { get; set; } = [];
    }

    public sealed class OngoingPartitionReassignment
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public List<int> Replicas { get; set; } = [];

        [Field(2)]
        public List<int> AddingReplicas { get; set; } = [];

        [Field(3)]
        public List<int> RemovingReplicas { get; set; } = [];
    }
}
