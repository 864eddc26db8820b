using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.Metadata, MessageKind.Request, 0, 12, FlexibleFrom = 9)]
public sealed class MetadataRequest
{
    /// <summary>v0: empty means all topics; v1+: null means all topics, empty means none.</summary>
    [Field(0, NullableVersions = "1+")]
    public List<MetadataRequestTopic>? Topics { get; set; } = [];

    [Field(1, Versions = "4+")]
    public bool AllowAutoTopicCreation { get; set; } = true;

    [Field(2, Versions = "8-10")]
    public bool IncludeClusterAuthorizedOperations { get; set; }

    [Field(3, Versions = "8+")]
    public bool IncludeTopicAuthorizedOperations { get; set; }

    public sealed class MetadataRequestTopic
    {
        [Field(0, Versions = "10+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(1, NullableVersions = "10+")]
        public string? Name { get; set; } = "";
    }
}

[ApiMessage(ApiKey.Metadata, MessageKind.Response, 0, 12, FlexibleFrom = 9)]
public sealed class MetadataResponse
{
    [Field(0, Versions = "3+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<MetadataResponseBroker> Brokers { get; set; } = [];

    [Field(2, Versions = "2+", NullableVersions = "2+", Ignorable = true)]
    public string? ClusterId { get; set; }

    [Field(3, Versions = "1+", Ignorable = true)]
    public int ControllerId { get; set; } = -1;

    [Field(4)]
    public List<MetadataResponseTopic> Topics { get; set; } = [];

    [Field(5, Versions = "8-10", Ignorable = true)]
    public int ClusterAuthorizedOperations { get; set; } = int.MinValue;

    public sealed class MetadataResponseBroker
    {
        [Field(0)]
        public int NodeId { get; set; }

        [Field(1)]
        public string Host { get; set; } = "";

        [Field(2)]
        public int Port { get; set; }

        [Field(3, Versions = "1+", NullableVersions = "1+", Ignorable = true)]
        public string? Rack { get; set; }
    }

    public sealed class MetadataResponseTopic
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1, NullableVersions = "12+")]
        public string? Name { get; set; } = "";

        [Field(2, Versions = "10+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(3, Versions = "1+", Ignorable = true)]
        public bool IsInternal { get; set; }

        [Field(4)]
        public List<MetadataResponsePartition> Partitions { get; set; } = [];

        [Field(5, Versions = "8+", Ignorable = true)]
        public int TopicAuthorizedOperations { get; set; } = int.MinValue;
    }

    public sealed class MetadataResponsePartition
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1)]
        public int PartitionIndex { get; set; }

        [Field(2)]
        public int LeaderId { get; set; }

        [Field(3, Versions = "7+", Ignorable = true)]
        public int LeaderEpoch { get; set; } = -1;

        [Field(4)]
        public List<int> ReplicaNodes { get; set; } = [];

        [Field(5)]
        public List<int> IsrNodes { get; set; } = [];

        [Field(6, Versions = "5+", Ignorable = true)]
        public List<int> OfflineReplicas { get; set; } = [];
    }
}
