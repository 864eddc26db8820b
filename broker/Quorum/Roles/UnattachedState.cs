namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// An epoch without a known leader (Kafka's Unattached and Voted states in one): the node may have voted
/// (<see cref="VotedId"/>); when <see cref="ElectionDeadlineMs"/> passes, a voter stands as candidate.
/// </summary>
internal sealed class UnattachedState(int epoch, int votedId, long electionDeadlineMs) : EpochState(epoch)
{
    public int VotedId { get; set; } = votedId;

    public long ElectionDeadlineMs { get; set; } = electionDeadlineMs;

    /// <summary>A resigning leader asked for an election (EndQuorumEpoch): stand without a pre-vote.</summary>
    public bool StandAtOnce { get; set; }

    /// <summary>An observer has no election to run; it asks a voter for the leader instead, one fetch at a time.</summary>
    public FetchRequest? DiscoveryFetch { get; set; }

    public override string Name => VotedId >= 0 ? "Voted" : "Unattached";
}
