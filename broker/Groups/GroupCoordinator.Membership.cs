using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>SyncGroup, Heartbeat, LeaveGroup, and the session and sync timeouts that remove members.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>Completes at once for the leader and in Stable; a follower's waits for the leader's assignment.</summary>
    public Task<SyncGroupResult> SyncGroupAsync(SyncGroupParams request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.GroupId))
            return Done(new SyncGroupResult(ErrorCode.InvalidGroupId));
        if (CoordinatorError(request.GroupId) is var error && error != ErrorCode.None)
            return Done(new SyncGroupResult(error));
        var group = Find(request.GroupId);
        if (group is null)
            return Done(new SyncGroupResult(ErrorCode.UnknownMemberId));
        lock (group.Lock)
        {
            if (ValidateMember(group, request.MemberId, request.GroupInstanceId, request.GenerationId, out var member) is var invalid && invalid != ErrorCode.None)
                return Done(new SyncGroupResult(invalid));
            if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
            {
                return Done(new SyncGroupResult(ErrorCode.InconsistentGroupProtocol));
            }
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    return Done(new SyncGroupResult(ErrorCode.RebalanceInProgress));
                case GroupState.Stable:
                    group.PendingSync.Remove(member.MemberId);
                    ScheduleHeartbeat(group, member);
                    return Done(new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, member.Assignment));
                case GroupState.CompletingRebalance:
                    break;
                default:
                    return Done(new SyncGroupResult(ErrorCode.UnknownMemberId));
            }
            member.CompleteSync(new SyncGroupResult(ErrorCode.RebalanceInProgress));
            var waiter = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            member.AwaitingSync = waiter;
            group.PendingSync.Remove(member.MemberId);
            ScheduleHeartbeat(group, member);
            if (member.MemberId == group.LeaderId)
                ApplyLeaderAssignment(group, request.Assignments);
            return waiter.Task;
        }
    }

    private void ApplyLeaderAssignment(ClassicGroup group, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments)
    {
        var byMember = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, assignment) in assignments)
            byMember[id] = assignment;
        var previous = group.Members.ToDictionary(m => m.MemberId, m => m.Assignment, StringComparer.Ordinal);
        foreach (var m in group.Members)
            m.Assignment = byMember.GetValueOrDefault(m.MemberId) ?? [];
        var error = AppendGroupMetadata(group, NowMs);
        if (error != ErrorCode.None)
        {
            foreach (var m in group.Members)
                m.Assignment = previous[m.MemberId];
            ResetAssignments(group, error);
            PrepareRebalance(group);
            TryCompleteJoin(group);
            return;
        }
        group.TransitionTo(GroupState.Stable, NowMs);
        foreach (var m in group.Members)
            m.CompleteSync(new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, m.Assignment));
        if (group.PendingSync.Count == 0)
            Scheduler.Cancel(SyncKey(group));
    }

    public ErrorCode Heartbeat(string groupId, int generationId, string memberId, string? groupInstanceId)
    {
        if (string.IsNullOrEmpty(groupId))
            return ErrorCode.InvalidGroupId;
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return error;
        var group = Find(groupId);
        if (group is null)
            return ErrorCode.UnknownMemberId;
        lock (group.Lock)
        {
            if (ValidateMember(group, memberId, groupInstanceId, generationId, out var member) is var invalid && invalid != ErrorCode.None)
                return invalid;
            switch (group.State)
            {
                case GroupState.CompletingRebalance or GroupState.Stable:
                    ScheduleHeartbeat(group, member);
                    return ErrorCode.None;
                case GroupState.PreparingRebalance:
                    ScheduleHeartbeat(group, member);
                    return ErrorCode.RebalanceInProgress;
                default:
                    return ErrorCode.UnknownMemberId;
            }
        }
    }

    /// <summary>Removes members (v3+ batches them; static members may be named by group.instance.id alone).</summary>
    public LeaveGroupResult LeaveGroup(string groupId, IReadOnlyList<LeavingMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (string.IsNullOrEmpty(groupId))
            return new LeaveGroupResult(ErrorCode.InvalidGroupId, []);
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return new LeaveGroupResult(error, []);
        var group = Find(groupId);
        if (group is null)
            return new LeaveGroupResult(ErrorCode.None, [.. members.Select(_ => ErrorCode.UnknownMemberId)]);
        var errors = new List<ErrorCode>(members.Count);
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
                return new LeaveGroupResult(ErrorCode.CoordinatorNotAvailable, []);
            foreach (var leaving in members)
                errors.Add(Leave(group, leaving));
        }
        return new LeaveGroupResult(ErrorCode.None, errors);
    }

    private ErrorCode Leave(ClassicGroup group, LeavingMember leaving)
    {
        if (leaving.GroupInstanceId is { } instance)
        {
            var current = group.StaticMemberId(instance);
            if (current is null)
                return ErrorCode.UnknownMemberId;
            if (leaving.MemberId.Length > 0 && leaving.MemberId != current)
                return ErrorCode.FencedInstanceId;
            RemoveMemberAndUpdateGroup(group, group.Get(current)!);
            return ErrorCode.None;
        }
        if (group.PendingMembers.Remove(leaving.MemberId))
        {
            Scheduler.Cancel(PendingKey(group, leaving.MemberId));
            TryCompleteJoin(group);
            return ErrorCode.None;
        }
        var member = group.Get(leaving.MemberId);
        if (member is null)
            return ErrorCode.UnknownMemberId;
        RemoveMemberAndUpdateGroup(group, member);
        return ErrorCode.None;
    }

    /// <summary>Kafka's checks, in its order, for requests that name a member of the current generation.</summary>
    private static ErrorCode ValidateMember(ClassicGroup group, string memberId, string? groupInstanceId, int generationId, out GroupMember member)
    {
        member = null!;
        if (group.State == GroupState.Dead)
            return ErrorCode.CoordinatorNotAvailable;
        if (groupInstanceId is not null && group.StaticMemberId(groupInstanceId) is { } current && current != memberId)
            return ErrorCode.FencedInstanceId;
        if (group.Get(memberId) is not { } found)
            return ErrorCode.UnknownMemberId;
        member = found;
        if (generationId != group.GenerationId)
            return ErrorCode.IllegalGeneration;
        return ErrorCode.None;
    }

    private void ScheduleHeartbeat(ClassicGroup group, GroupMember member)
    {
        var memberId = member.MemberId;
        var timeout = member.IsNew && member.AwaitingJoin is not null ? Math.Max(member.SessionTimeoutMs, NewMemberJoinTimeoutMs) : member.SessionTimeoutMs;
        Scheduler.Schedule(HeartbeatKey(group, memberId), NowMs + timeout, () => OnSessionExpired(group, memberId));
    }

    private void OnSessionExpired(ClassicGroup group, string memberId)
    {
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead || group.Get(memberId) is not { } member)
                return;
            // A member waiting in JoinGroup or SyncGroup cannot heartbeat: the rebalance and sync timeouts bound it.
            if ((member.AwaitingJoin is not null && !member.IsNew) || member.AwaitingSync is not null)
            {
                ScheduleHeartbeat(group, member);
                return;
            }
            RemoveMemberAndUpdateGroup(group, member);
        }
    }

    private void OnSyncTimeout(ClassicGroup group, int generation)
    {
        lock (group.Lock)
        {
            if (group.GenerationId != generation || group.State is not (GroupState.CompletingRebalance or GroupState.Stable) || group.PendingSync.Count == 0)
                return;
            foreach (var id in group.PendingSync.ToList())
            {
                if (group.Get(id) is { } member)
                    DropMember(group, member);
            }
            group.PendingSync.Clear();
            PrepareRebalance(group);
            TryCompleteJoin(group);
        }
    }

    /// <summary>Takes a member out and fails whatever it waits for.</summary>
    private void DropMember(ClassicGroup group, GroupMember member)
    {
        member.CompleteJoin(new JoinGroupResult(ErrorCode.UnknownMemberId, member.MemberId));
        member.CompleteSync(new SyncGroupResult(ErrorCode.UnknownMemberId));
        Scheduler.Cancel(HeartbeatKey(group, member.MemberId));
        group.Remove(member);
    }

    private void RemoveMemberAndUpdateGroup(ClassicGroup group, GroupMember member)
    {
        DropMember(group, member);
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group);
                TryCompleteJoin(group);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    private void ResetAssignments(ClassicGroup group, ErrorCode error)
    {
        foreach (var m in group.Members)
        {
            m.Assignment = [];
            if (m.AwaitingSync is null)
                continue;
            m.CompleteSync(new SyncGroupResult(error));
            // It could not heartbeat while it waited: give it a full session to rejoin.
            ScheduleHeartbeat(group, m);
        }
    }
}
