namespace KafkaOperator.Quorum;

// Proposals waiting on the loop: local ones until the high watermark passes their entry (or the entry is
// truncated away: leadership was lost first), forwarded ones until the leader answers. Both give up after the
// request timeout.
public sealed partial class QuorumNode
{
    /// <summary>
    /// Applied on the loop, while this node leads, to every proposal it appends (its own and forwarded ones): the
    /// payload returned is what the entry holds. It lets the leader's controller turn a request into its decision in
    /// the same entry (a controlled shutdown's fence together with the leaderships that move off the broker), so one
    /// commit does what would otherwise take two. It must be quick and deterministic enough to run on the loop; an
    /// exception keeps the payload as proposed.
    /// </summary>
    public Func<byte[], byte[]>? LeaderProposalFilter { get; set; }

    private byte[] FilterIfLeading(byte[] payload)
    {
        if (LeaderProposalFilter is not { } filter || !_core.IsLeader)
            return payload;
        try
        {
            var filtered = filter(payload);
            return filtered is { Length: > 0 } ? filtered : payload;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return payload;
        }
    }

    private void ProposeOnLoop(byte[] payload, long now, Action<long, short> complete)
    {
        var offset = _core.Propose(FilterIfLeading(payload), now);
        if (offset >= 0)
        {
            _pending.Add(new Pending(offset, _core.Epoch, now + _config.RequestTimeoutMs, complete));
            return;
        }
        var leader = _core.Leader;
        if (leader.LeaderId < 0 || leader.LeaderId == _config.NodeId)
        {
            complete(-1, RaftErrors.NotLeaderOrFollower);
            return;
        }
        var forwarded = new Pending(-1, leader.Epoch, now + _config.RequestTimeoutMs, complete);
        _pending.Add(forwarded);
        _transport.Send(leader.LeaderId, new ProposeRequest(_config.ClusterId, payload), response => Post(_ =>
        {
            if (!_pending.Remove(forwarded))
                return;
            if (response is ProposeResponse { ErrorCode: RaftErrors.None } ok)
                complete(ok.Offset, RaftErrors.None);
            else
                complete(-1, response is null ? RaftErrors.RequestTimedOut : response.ErrorCode == RaftErrors.RequestTimedOut ? RaftErrors.RequestTimedOut : RaftErrors.NotLeaderOrFollower);
        }));
    }

    private void HandleProposeOnLoop(ProposeRequest request, long now, TaskCompletionSource<RaftResponse> done)
    {
        if (request.ClusterId != _config.ClusterId)
        {
            done.TrySetResult(RaftResponses.Error(request, RaftErrors.InconsistentClusterId, _core.Leader));
            return;
        }
        if (request.Payload is null || request.Payload.Length == 0)
        {
            done.TrySetResult(RaftResponses.Error(request, RaftErrors.InvalidUpdateVersion, _core.Leader));
            return;
        }
        var offset = _core.Propose(FilterIfLeading(request.Payload), now);
        if (offset < 0)
        {
            done.TrySetResult(RaftResponses.Error(request, RaftErrors.NotLeaderOrFollower, _core.Leader));
            return;
        }
        var epoch = _core.Epoch;
        _pending.Add(new Pending(offset, epoch, now + _config.RequestTimeoutMs, (committed, error) =>
            done.TrySetResult(new ProposeResponse(error, _core.Leader.LeaderId, _core.Leader.Epoch, error == RaftErrors.None ? committed : -1))));
    }

    /// <summary>Completes what has been decided; returns the earliest remaining timeout.</summary>
    private long CheckPending(long now)
    {
        var next = long.MaxValue;
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var p = _pending[i];
            short? outcome = null;
            if (p.Offset >= 0 && _log.EpochAt(p.Offset) != p.Epoch)
                outcome = RaftErrors.NotLeaderOrFollower;
            else if (p.Offset >= 0 && _core.HighWatermark > p.Offset)
                outcome = RaftErrors.None;
            else if (now >= p.DeadlineMs)
                outcome = RaftErrors.RequestTimedOut;
            if (outcome is { } error)
            {
                _pending.RemoveAt(i);
                p.Complete(error == RaftErrors.None ? p.Offset : -1, error);
            }
            else
                next = Math.Min(next, p.DeadlineMs);
        }
        return next;
    }

    private void FailAll(short error)
    {
        foreach (var p in _pending)
            p.Complete(-1, error);
        _pending.Clear();
    }

    /// <summary>Offset -1: forwarded, waiting for the leader's answer.</summary>
    private sealed record Pending(long Offset, int Epoch, long DeadlineMs, Action<long, short> Complete);
}
