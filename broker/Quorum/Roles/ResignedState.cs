namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// A leader that gave up its epoch (on request, or because a majority stopped fetching): it takes no proposals
/// and, having voted for itself in this epoch, cannot vote again in it; after the election timeout it stands in a
/// new epoch unless another leader appeared first.
/// </summary>
internal sealed class ResignedState(int epoch, long electionDeadlineMs) : EpochState(epoch)
{
    public long ElectionDeadlineMs { get; } = electionDeadlineMs;

    public override string Name => "Resigned";
}
