namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// A voter that would stand (KIP-996): it asks for pre-votes without bumping the epoch or recording anything, so a
/// node cut off from a live leader cannot push the quorum to a higher epoch when it comes back. A majority of
/// pre-votes makes it a <see cref="CandidateState"/>; otherwise it asks again after the election timeout.
/// <see cref="VotedId"/> is whom it already sided with in this epoch (itself, the leader it followed, the candidate
/// it voted for), -1 when nobody: only then may it still give its real vote in this epoch.
/// </summary>
internal sealed class ProspectiveState(int epoch, int localId, int votedId, IEnumerable<int> voters, int majority, long electionDeadlineMs)
    : NomineeState(epoch, localId, voters, majority, electionDeadlineMs)
{
    public int VotedId { get; } = votedId;

    public override bool PreVote => true;

    public override string Name => "Prospective";
}
