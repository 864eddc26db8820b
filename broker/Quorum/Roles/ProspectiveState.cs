namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// A voter that would stand (KIP-996): it asks for pre-votes without bumping the epoch or recording anything, so a
/// node cut off from a live leader cannot push the quorum to a higher epoch when it comes back. A majority of
/// pre-votes makes it a <see cref="CandidateState"/>; otherwise it asks again after the election timeout.
/// <see cref="VotedId"/> is whom it voted for in this epoch (itself when it stood), -1 when nobody;
/// <see cref="MayVote"/> is false when it followed a leader in this epoch, whose election is then over.
/// </summary>
internal sealed class ProspectiveState(int epoch, int localId, int votedId, bool mayVote, IEnumerable<int> voters, int majority, long electionDeadlineMs)
    : NomineeState(epoch, localId, voters, majority, electionDeadlineMs)
{
    public int VotedId { get; } = votedId;

    public bool MayVote { get; } = mayVote;

    public override bool PreVote => true;

    public override string Name => "Prospective";
}
