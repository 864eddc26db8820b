using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// The project's own API (key 10000, see <see cref="ApiKey.QuorumPropose"/>): a quorum member that does not lead
/// forwards an opaque metadata entry to the leader, which answers once it is committed. Kafka's brokers send their
/// writes as controller RPCs (CreateTopics, BrokerRegistration...) instead; here every metadata write is one entry.
/// </summary>
[ApiMessage(ApiKey.QuorumPropose, MessageKind.Request, 0, 0, FlexibleFrom = 0)]
public sealed class QuorumProposeRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1)]
    public byte[] Payload { get; set; } = [];
}

[ApiMessage(ApiKey.QuorumPropose, MessageKind.Response, 0, 0, FlexibleFrom = 0)]
public sealed class QuorumProposeResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1)]
    public int LeaderId { get; set; } = -1;

    [Field(2)]
    public int LeaderEpoch { get; set; } = -1;

    /// <summary>The committed entry's offset, -1 on error.</summary>
    [Field(3)]
    public long Offset { get; set; } = -1;
}
