using KafkaOperator.Quorum;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// What the metadata store needs of the Raft quorum: who leads, a way to commit a record from any node, and the
/// leader's view of the voters (for broker liveness). <see cref="QuorumNode"/> provides it in the broker; tests can
/// pass a scripted one.
/// </summary>
public interface IMetadataQuorum
{
    LeaderAndEpoch Leader { get; }

    /// <summary>Commits <paramref name="payload"/> and returns its offset; throws <see cref="QuorumException"/> when it cannot.</summary>
    Task<long> ProposeAsync(byte[] payload, CancellationToken cancellationToken);

    IReadOnlyList<VoterState> DescribeVoters();
}

/// <summary>A metadata change the quorum committed but that did not apply (the topic existed already, say), as a Kafka error.</summary>
public sealed class MetadataStoreException(Protocol.ErrorCode error, string message) : Exception(message)
{
    public Protocol.ErrorCode Error { get; } = error;
}
