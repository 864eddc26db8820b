using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>JoinGroup and the rebalance it drives (PreparingRebalance until everyone rejoined or the timeout).</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>Joins (or rejoins) a member; the task completes when the rebalance does, or at once with an error.</summary>
    public Task<JoinGroupResult> JoinGroupAsync(JoinGroupParams request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.GroupId))
            return Done(new JoinGroupResult(ErrorCode.InvalidGroupId, request.MemberId));
        if (CoordinatorError(request.GroupId) is var error && error != ErrorCode.None)
            return Done(new JoinGroupResult(error, request.MemberId));
        if (request.SessionTimeoutMs < _options.MinSessionTimeoutMs || request.SessionTimeoutMs > _options.MaxSessionTimeoutMs)
            return Done(new JoinGroupResult(ErrorCode.InvalidSessionTimeout, request.MemberId));
        var unknown = request.MemberId.Length == 0;
        var group = unknown ? GetOrCreate(request.GroupId) : Find(request.GroupId);
        if (group is null)
            return Done(new JoinGroupResult(ErrorCode.UnknownMemberId, request.MemberId));
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
                return Done(new JoinGroupResult(ErrorCode.CoordinatorNotAvailable, request.MemberId));
            if (!group.SupportsProtocols(request.ProtocolType, request.Protocols))
                return Done(new JoinGroupResult(ErrorCode.InconsistentGroupProtocol, request.MemberId));
            return unknown ? JoinUnknownMember(group, request) : JoinKnownMember(group, request);
        }
    }

    private Task<JoinGroupResult> JoinUnknownMember(ClassicGroup group, JoinGroupParams request)
    {
        if (group.StaticMemberId(request.GroupInstanceId) is { } oldMemberId)
            return ReplaceStaticMember(group, request, oldMemberId, NewMemberId(request));
        if (group.Members.Count + group.PendingMembers.Count >= _options.MaxSize)
            return Done(new JoinGroupResult(ErrorCode.GroupMaxSizeReached, ""));
        var memberId = NewMemberId(request);
        if (request.RequireKnownMemberId && request.GroupInstanceId is null)
        {
            // KIP-394: hand out the id first, so a client that never comes back leaves no member behind.
            group.PendingMembers.Add(memberId);
            Scheduler.Schedule(PendingKey(group, memberId), NowMs + request.SessionTimeoutMs, () => ExpirePendingMember(group, memberId));
            return Done(new JoinGroupResult(ErrorCode.MemberIdRequired, memberId));
        }
        return AddMemberAndRebalance(group, request, memberId);
    }

    private Task<JoinGroupResult> JoinKnownMember(ClassicGroup group, JoinGroupParams request)
    {
        if (group.PendingMembers.Remove(request.MemberId))
        {
            Scheduler.Cancel(PendingKey(group, request.MemberId));
            if (group.Members.Count >= _options.MaxSize)
                return Done(new JoinGroupResult(ErrorCode.GroupMaxSizeReached, request.MemberId));
            return AddMemberAndRebalance(group, request, request.MemberId);
        }
        if (request.GroupInstanceId is { } instance)
        {
            var current = group.StaticMemberId(instance);
            if (current is null)
                return Done(new JoinGroupResult(ErrorCode.UnknownMemberId, request.MemberId));
            if (current != request.MemberId)
                return Done(new JoinGroupResult(ErrorCode.FencedInstanceId, request.MemberId));
        }
        var member = group.Get(request.MemberId);
        if (member is null)
            return Done(new JoinGroupResult(ErrorCode.UnknownMemberId, request.MemberId));
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(group, member, request);
            case GroupState.CompletingRebalance:
                // A retry of a join whose answer was lost: answer again instead of starting over.
                return member.Matches(request.Protocols) ? Done(CurrentJoinResult(group, member)) : UpdateMemberAndRebalance(group, member, request);
            case GroupState.Stable:
                // The leader rejoining (e.g. it saw a metadata change) or changed metadata (cooperative rebalancing
                // adds owned partitions) start a rebalance; a follower with unchanged metadata gets the generation.
                return member.MemberId == group.LeaderId || !member.Matches(request.Protocols)
                    ? UpdateMemberAndRebalance(group, member, request)
                    : Done(CurrentJoinResult(group, member));
            default:
                return Done(new JoinGroupResult(ErrorCode.UnknownMemberId, request.MemberId));
        }
    }

    private static string NewMemberId(JoinGroupParams request) => $"{request.GroupInstanceId ?? request.ClientId}-{Guid.NewGuid()}";

    private JoinGroupResult CurrentJoinResult(ClassicGroup group, GroupMember member, bool skipAssignment = false) =>
        new(ErrorCode.None, member.MemberId, group.GenerationId, group.ProtocolType, group.ProtocolName, group.LeaderId ?? "",
            member.MemberId == group.LeaderId ? MemberMetadata(group) : [], skipAssignment);

    private static List<JoinedMember> MemberMetadata(ClassicGroup group) =>
        [.. group.Members.Select(m => new JoinedMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(group.ProtocolName!) ?? []))];

    private Task<JoinGroupResult> AddMemberAndRebalance(ClassicGroup group, JoinGroupParams request, string memberId)
    {
        var member = new GroupMember(memberId, request.GroupInstanceId, request.ClientId, request.ClientHost);
        Update(member, request);
        var waiter = new TaskCompletionSource<JoinGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.AwaitingJoin = waiter;
        group.Add(member);
        if (group.State == GroupState.PreparingRebalance && group.InitialDelayActive)
            group.NewMemberAdded = true;
        ScheduleHeartbeat(group, member);
        MaybePrepareRebalance(group);
        TryCompleteJoin(group);
        return waiter.Task;
    }

    private Task<JoinGroupResult> UpdateMemberAndRebalance(ClassicGroup group, GroupMember member, JoinGroupParams request)
    {
        Update(member, request);
        member.CompleteJoin(new JoinGroupResult(ErrorCode.RebalanceInProgress, member.MemberId));
        var waiter = new TaskCompletionSource<JoinGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.AwaitingJoin = waiter;
        MaybePrepareRebalance(group);
        TryCompleteJoin(group);
        return waiter.Task;
    }

    private static void Update(GroupMember member, JoinGroupParams request)
    {
        member.Protocols = request.Protocols;
        member.ProtocolType = request.ProtocolType;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.RebalanceTimeoutMs = request.RebalanceTimeoutMs;
        member.ClientId = request.ClientId;
        member.ClientHost = request.ClientHost;
    }

    /// <summary>
    /// A static member rejoined with a new member id (its process restarted): the old id is fenced. In a Stable
    /// group whose protocol choice does not change, the member takes over its old assignment without a rebalance.
    /// </summary>
    private Task<JoinGroupResult> ReplaceStaticMember(ClassicGroup group, JoinGroupParams request, string oldMemberId, string newMemberId)
    {
        var member = group.Get(oldMemberId)!;
        member.CompleteJoin(new JoinGroupResult(ErrorCode.FencedInstanceId, oldMemberId));
        member.CompleteSync(new SyncGroupResult(ErrorCode.FencedInstanceId));
        Scheduler.Cancel(HeartbeatKey(group, oldMemberId));
        var wasLeader = group.LeaderId == oldMemberId;
        var oldProtocols = member.Protocols;
        member.MemberId = newMemberId;
        group.StaticMembers[request.GroupInstanceId!] = newMemberId;
        if (wasLeader)
            group.LeaderId = newMemberId;
        if (group.PendingSync.Remove(oldMemberId))
            group.PendingSync.Add(newMemberId);
        Update(member, request);
        ScheduleHeartbeat(group, member);
        var waiter = new TaskCompletionSource<JoinGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        switch (group.State)
        {
            case GroupState.Stable:
                if (group.SelectProtocol() == group.ProtocolName && ProtocolMetadataUnchanged(group, oldProtocols, member))
                {
                    var error = AppendGroupMetadata(group, NowMs);
                    if (error != ErrorCode.None)
                    {
                        // Not persisted: undo, so the old id stays the one the log knows.
                        member.MemberId = oldMemberId;
                        member.Protocols = oldProtocols;
                        group.StaticMembers[request.GroupInstanceId!] = oldMemberId;
                        if (wasLeader)
                            group.LeaderId = oldMemberId;
                        Scheduler.Cancel(HeartbeatKey(group, newMemberId));
                        ScheduleHeartbeat(group, member);
                        return Done(new JoinGroupResult(error, ""));
                    }
                    return Done(CurrentJoinResult(group, member, skipAssignment: wasLeader));
                }
                member.AwaitingJoin = waiter;
                PrepareRebalance(group);
                break;
            case GroupState.CompletingRebalance:
                // The leader may already be assigning to the old id: start over so the new id gets an assignment.
                member.AwaitingJoin = waiter;
                PrepareRebalance(group);
                break;
            default:
                member.AwaitingJoin = waiter;
                break;
        }
        TryCompleteJoin(group);
        return waiter.Task;
    }

    private static bool ProtocolMetadataUnchanged(ClassicGroup group, IReadOnlyList<GroupProtocol> oldProtocols, GroupMember member)
    {
        var name = group.ProtocolName!;
        var before = oldProtocols.FirstOrDefault(p => p.Name == name).Metadata;
        var after = member.MetadataFor(name);
        return before is not null && after is not null && before.AsSpan().SequenceEqual(after);
    }

    private void MaybePrepareRebalance(ClassicGroup group)
    {
        if (group.State is GroupState.Empty or GroupState.Stable or GroupState.CompletingRebalance)
            PrepareRebalance(group);
    }

    private void PrepareRebalance(ClassicGroup group)
    {
        if (group.State == GroupState.CompletingRebalance)
            ResetAssignments(group, ErrorCode.RebalanceInProgress);
        Scheduler.Cancel(SyncKey(group));
        group.PendingSync.Clear();
        var wasEmpty = group.State == GroupState.Empty;
        var now = NowMs;
        group.TransitionTo(GroupState.PreparingRebalance, now);
        var rebalanceTimeout = Math.Max(0, group.MaxRebalanceTimeoutMs);
        group.RebalanceDeadline = now + rebalanceTimeout;
        group.InitialDelayActive = wasEmpty && _options.InitialRebalanceDelayMs > 0;
        group.NewMemberAdded = false;
        if (group.InitialDelayActive)
        {
            // Kafka's InitialDelayedJoin: wait for more members of a starting group, extending while they keep
            // arriving, never past the rebalance timeout.
            var delay = Math.Min(_options.InitialRebalanceDelayMs, rebalanceTimeout);
            group.InitialDelayRemainingMs = Math.Max(0, rebalanceTimeout - delay);
            group.InitialDelayUntil = now + delay;
            if (delay == 0)
                group.InitialDelayActive = false;
        }
        ScheduleJoin(group);
    }

    private void ScheduleJoin(ClassicGroup group)
    {
        var deadline = group.InitialDelayActive ? group.InitialDelayUntil : group.RebalanceDeadline;
        var generation = group.GenerationId;
        Scheduler.Schedule(JoinKey(group), deadline, () => OnJoinTimer(group, generation));
    }

    private void OnJoinTimer(ClassicGroup group, int generation)
    {
        lock (group.Lock)
        {
            if (group.State != GroupState.PreparingRebalance || group.GenerationId != generation)
                return;
            var now = NowMs;
            if (group.InitialDelayActive)
            {
                if (now < group.InitialDelayUntil)
                {
                    ScheduleJoin(group);
                    return;
                }
                if (group.NewMemberAdded && group.InitialDelayRemainingMs > 0)
                {
                    var delay = Math.Min(_options.InitialRebalanceDelayMs, group.InitialDelayRemainingMs);
                    group.InitialDelayRemainingMs -= delay;
                    group.NewMemberAdded = false;
                    group.InitialDelayUntil = now + delay;
                    ScheduleJoin(group);
                    return;
                }
                group.InitialDelayActive = false;
                CompleteJoin(group);
                return;
            }
            if (now >= group.RebalanceDeadline || group.AllMembersJoined)
                CompleteJoin(group);
            else
                ScheduleJoin(group);
        }
    }

    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State != GroupState.PreparingRebalance || group.InitialDelayActive)
            return;
        if (group.AllMembersJoined || NowMs >= group.RebalanceDeadline)
            CompleteJoin(group);
    }

    /// <summary>Ends PreparingRebalance: members that did not rejoin are dropped and the next generation starts.</summary>
    private void CompleteJoin(ClassicGroup group)
    {
        Scheduler.Cancel(JoinKey(group));
        foreach (var m in group.Members.Where(m => m.AwaitingJoin is null).ToList())
            DropMember(group, m);
        var now = NowMs;
        group.GenerationId++;
        if (group.IsEmpty)
        {
            group.ProtocolName = null;
            group.ProtocolType = null;
            group.LeaderId = null;
            group.TransitionTo(GroupState.Empty, now);
            AppendGroupMetadata(group, now);
            return;
        }
        group.ProtocolName = group.SelectProtocol();
        if (group.LeaderId is null || !group.Has(group.LeaderId))
            group.LeaderId = group.Members[0].MemberId;
        group.TransitionTo(GroupState.CompletingRebalance, now);
        foreach (var m in group.Members)
        {
            group.PendingSync.Add(m.MemberId);
            m.IsNew = false;
            m.CompleteJoin(CurrentJoinResult(group, m));
            ScheduleHeartbeat(group, m);
        }
        var generation = group.GenerationId;
        Scheduler.Schedule(SyncKey(group), now + group.MaxRebalanceTimeoutMs, () => OnSyncTimeout(group, generation));
    }

    private void ExpirePendingMember(ClassicGroup group, string memberId)
    {
        lock (group.Lock)
        {
            if (group.PendingMembers.Remove(memberId))
                TryCompleteJoin(group);
        }
    }
}
