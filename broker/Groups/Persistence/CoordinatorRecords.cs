using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Groups.Persistence;

// The record schemas of __consumer_offsets, as apache/kafka's group-coordinator resources describe them, so Kafka's
// tools can read our log. They are "data" messages, not APIs: the ApiKey is a placeholder the registry never sees
// (it only scans the Protocol assembly). A record key is an int16 key type (1 = offset commit, 2 = group metadata)
// then the key struct; a value is an int16 value version then the value struct; a null value is a tombstone.
internal static class RecordTypes
{
    public const ApiKey DataMessage = (ApiKey)(-1);
    public const short OffsetCommitKeyType = 1;
    public const short GroupMetadataKeyType = 2;
}

/// <summary>OffsetCommitKey (key types 0 and 1): group, topic, partition.</summary>
[ApiMessage(RecordTypes.DataMessage, MessageKind.Request, 0, 1)]
public sealed class OffsetCommitKey
{
    [Field(0)]
    public string Group { get; set; } = "";

    [Field(1)]
    public string Topic { get; set; } = "";

    [Field(2)]
    public int Partition { get; set; }
}

/// <summary>OffsetCommitValue v0-v4 (flexible from 4); we write v3, or v1 when the commit carries an expire timestamp.</summary>
[ApiMessage(RecordTypes.DataMessage, MessageKind.Request, 0, 4, FlexibleFrom = 4)]
public sealed class OffsetCommitValue
{
    [Field(0)]
    public long Offset { get; set; }

    [Field(1, Versions = "3+", Ignorable = true)]
    public int LeaderEpoch { get; set; } = -1;

    [Field(2)]
    public string Metadata { get; set; } = "";

    [Field(3)]
    public long CommitTimestamp { get; set; }

    [Field(4, Versions = "1", Ignorable = true)]
    public long ExpireTimestamp { get; set; } = -1;
}

/// <summary>GroupMetadataKey (key type 2): group.</summary>
[ApiMessage(RecordTypes.DataMessage, MessageKind.Request, 2, 2)]
public sealed class GroupMetadataKey
{
    [Field(0)]
    public string Group { get; set; } = "";
}

/// <summary>GroupMetadataValue v0-v4 (flexible from 4); we write v3.</summary>
[ApiMessage(RecordTypes.DataMessage, MessageKind.Request, 0, 4, FlexibleFrom = 4)]
public sealed class GroupMetadataValue
{
    [Field(0)]
    public string ProtocolType { get; set; } = "";

    [Field(1)]
    public int Generation { get; set; }

    [Field(2, NullableVersions = "0+")]
    public string? Protocol { get; set; }

    [Field(3, NullableVersions = "0+")]
    public string? Leader { get; set; }

    [Field(4, Versions = "2+", Ignorable = true)]
    public long CurrentStateTimestamp { get; set; } = -1;

    [Field(5)]
    public List<MemberMetadata> Members { get; set; } = [];

    public sealed class MemberMetadata
    {
        [Field(0)]
        public string MemberId { get; set; } = "";

        [Field(1, Versions = "3+", NullableVersions = "3+", Ignorable = true)]
        public string? GroupInstanceId { get; set; }

        [Field(2)]
        public string ClientId { get; set; } = "";

        [Field(3)]
        public string ClientHost { get; set; } = "";

        [Field(4, Versions = "1+", Ignorable = true)]
        public int RebalanceTimeout { get; set; }

        [Field(5)]
        public int SessionTimeout { get; set; }

        [Field(6)]
        public byte[] Subscription { get; set; } = [];

        [Field(7)]
        public byte[] Assignment { get; set; } = [];
    }
}
