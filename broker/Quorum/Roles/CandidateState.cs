namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// Standing for election in <see cref="EpochState.Epoch"/>, which it bumped to and voted for itself in (durably)
/// after a majority granted its pre-vote; a majority of votes makes it the leader.
/// </summary>
internal sealed class CandidateState(int epoch, int localId, IEnumerable<int> voters, int majority, long electionDeadlineMs)
    : NomineeState(epoch, localId, voters, majority, electionDeadlineMs)
{
    public override bool PreVote => false;

    public override string Name => "Candidate";
}
