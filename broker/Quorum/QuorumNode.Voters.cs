using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum;

// Voter changes as the broker asks for them: decided by the core when this node leads, else forwarded to the leader
// as a proposal holding the command; answered once the new voter set is committed (or at once, without
// ackWhenCommitted, once the leader has appended it), REQUEST_TIMED_OUT after the timeout.
public sealed partial class QuorumNode
{
    /// <summary>Whether this node is in its log's latest voter set (false: an observer).</summary>
    public bool IsVoter => _snapshot.IsVoter;

    /// <summary>The latest voter set this node's log holds, with the voters' quorum addresses.</summary>
    public VotersRecord VoterSet => _snapshot.VoterSet;

    /// <summary>0 while the voter set is only the config's, 1 once it lives in the metadata log (KIP-853).</summary>
    public short KRaftVersion => _snapshot.VoterSet.KRaftVersion;

    public Task<VoterChangeResult> ChangeVotersAsync(VoterCommand command, int timeoutMs, bool ackWhenCommitted = true)
    {
        ArgumentNullException.ThrowIfNull(command);
        var done = new TaskCompletionSource<VoterChangeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = timeoutMs > 0 ? timeoutMs : _config.RequestTimeoutMs;
        if (!Post(now => ChangeVotersOnLoop(command, now, timeout, ackWhenCommitted, result => done.TrySetResult(result)),
            () => done.TrySetResult(Result(RaftErrors.BrokerNotAvailable))))
            done.TrySetResult(Result(RaftErrors.BrokerNotAvailable));
        return done.Task;
    }

    private void ChangeVotersOnLoop(VoterCommand command, long now, int timeoutMs, bool ackWhenCommitted, Action<VoterChangeResult> complete)
    {
        if (_core.IsLeader)
        {
            var change = Decide(command, now);
            if (change.ErrorCode != RaftErrors.None)
                complete(new VoterChangeResult(change.ErrorCode, change.Message));
            else if (!ackWhenCommitted)
                complete(Result(RaftErrors.None));
            else
                _pending.Add(new Pending(change.Offset, _core.Epoch, now + timeoutMs, (_, error) => complete(Result(error))));
            return;
        }
        var leader = _core.Leader;
        if (leader.LeaderId < 0 || leader.LeaderId == _config.NodeId)
        {
            complete(Result(RaftErrors.NotLeaderOrFollower));
            return;
        }
        var forwarded = new Pending(-1, leader.Epoch, now + timeoutMs, (_, error) => complete(Result(error)));
        _pending.Add(forwarded);
        _transport.Send(leader.LeaderId, new ProposeRequest(_config.ClusterId, command.Encode()), response => Post(_ =>
        {
            if (_pending.Remove(forwarded))
                complete(Result(response is null ? RaftErrors.RequestTimedOut : response.ErrorCode));
        }));
    }

    /// <summary>A forwarded voter change, on the leader: answered once committed, with the error otherwise.</summary>
    private void HandleVoterCommandOnLoop(VoterCommand command, long now, TaskCompletionSource<RaftResponse> done)
    {
        var change = Decide(command, now);
        if (change.ErrorCode != RaftErrors.None)
        {
            done.TrySetResult(new ProposeResponse(change.ErrorCode, _core.Leader.LeaderId, _core.Leader.Epoch, -1));
            return;
        }
        _pending.Add(new Pending(change.Offset, _core.Epoch, now + _config.RequestTimeoutMs, (committed, error) =>
            done.TrySetResult(new ProposeResponse(error, _core.Leader.LeaderId, _core.Leader.Epoch, error == RaftErrors.None ? committed : -1))));
    }

    private VoterChange Decide(VoterCommand command, long now) => command.Kind switch
    {
        VoterCommandKind.Add => _core.AddVoter(command.Voter, now),
        VoterCommandKind.Remove => _core.RemoveVoter(command.Voter.Id, now),
        _ => _core.UpdateVoter(command.Voter, now),
    };

    private static VoterChangeResult Result(short error) => new(error, error switch
    {
        RaftErrors.None => null,
        RaftErrors.RequestTimedOut => "the voter change did not complete in time: another change is pending, the leader has not committed an entry of its epoch yet, the new voter is not caught up, or the change did not commit within the timeout",
        RaftErrors.NotLeaderOrFollower => "no quorum leader could take the voter change (none known, or leadership changed first)",
        RaftErrors.DuplicateVoter => "the voter is already part of the set of voters",
        RaftErrors.VoterNotFound => "the voter is not part of the set of voters",
        RaftErrors.UnsupportedVersion => "the cluster's kraft.version does not support voter changes",
        _ => $"the voter change failed with error {error}",
    });
}
