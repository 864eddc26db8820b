using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// DescribeLogDirs 1–4 (KIP-113, KIP-827): a broker's log dirs with the size and offset lag of each replica it holds
/// there; null topics mean every partition. v0 (deprecated, identical to v1) is not implemented.
/// </summary>
[ApiMessage(ApiKey.DescribeLogDirs, MessageKind.Request, 1, 4, FlexibleFrom = 2)]
public sealed class DescribeLogDirsRequest
{
    [Field(0, NullableVersions = "0+")]
    public List<DescribableLogDirTopic>? Topics { get; set; } = [];

    public sealed class DescribableLogDirTopic
    {
        [Field(0)]
        public string Topic { get; set; } = "";

        [Field(1)]
        public List<int> Partitions { get; set; } = [];
    }
}

/// <summary>DescribeLogDirs 1–4 response; v3 adds the top-level error, v4 each dir's total and usable bytes.</summary>
[ApiMessage(ApiKey.DescribeLogDirs, MessageKind.Response, 1, 4, FlexibleFrom = 2)]
public sealed class DescribeLogDirsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1, Versions = "3+")]
    public short ErrorCode { get; set; }

    [Field(2)]
    public List<DescribeLogDirsResult> Results { get; set; } = [];

    public sealed class DescribeLogDirsResult
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1)]
        public string LogDir { get; set; } = "";

        [Field(2)]
        public List<DescribeLogDirsTopic> Topics { get; set; } = [];

        [Field(3, Versions = "4+", Ignorable = true)]
        public long TotalBytes { get; set; } = -1;

        [Field(4, Versions = "4+", Ignorable = true)]
        public long UsableBytes { get; set; } = -1;
    }

    public sealed class DescribeLogDirsTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<DescribeLogDirsPartition> Partitions { get; set; } = [];
    }

    public sealed class DescribeLogDirsPartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public long PartitionSize { get; set; }

        [Field(2)]
        public long OffsetLag { get; set; }

        [Field(3)]
        public bool IsFutureKey { get; set; }
    }
}
