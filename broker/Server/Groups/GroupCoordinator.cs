using KafkaOperator.Protocol;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Groups;

/// <summary>
/// A single-node coordinator for classic consumer groups (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and their
/// committed offsets. All membership state sits behind one lock (group operations are rare next to produce and
/// fetch); joins and syncs that must wait for other members complete through TaskCompletionSources, and a
/// timer expires sessions and finishes rebalances whose members did not all rejoin in time.
/// </summary>
public sealed partial class GroupCoordinator : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly BrokerConfig _config;
    private readonly Timer _timer;

    public GroupCoordinator(BrokerConfig config, string logDir)
    {
        _config = config;
        _offsetsPath = Path.Combine(logDir, OffsetsFileName);
        LoadOffsets();
        _timer = new Timer(_ => Tick(), null, 250, 250);
    }

    private static long NowMs => Environment.TickCount64;

    public Task<JoinResult> JoinAsync(string groupId, string memberId, string? instanceId, string clientId, string clientHost,
        int sessionTimeoutMs, int rebalanceTimeoutMs, string protocolType, List<(string Name, byte[] Metadata)> protocols, bool requireKnownMemberId)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
                return Task.FromResult(JoinError(ErrorCode.InvalidGroupId, memberId));
            if (sessionTimeoutMs < _config.GetInt("group.min.session.timeout.ms") || sessionTimeoutMs > _config.GetInt("group.max.session.timeout.ms"))
                return Task.FromResult(JoinError(ErrorCode.InvalidSessionTimeout, memberId));
            if (protocols.Count == 0 || string.IsNullOrEmpty(protocolType))
                return Task.FromResult(JoinError(ErrorCode.InconsistentGroupProtocol, memberId));
            var group = GetOrCreate(groupId);
            if (group.State != GroupState.Empty && group.ProtocolType != protocolType)
                return Task.FromResult(JoinError(ErrorCode.InconsistentGroupProtocol, memberId));
            if (group.Members.Count > 0 && !SharesProtocol(group, protocols))
                return Task.FromResult(JoinError(ErrorCode.InconsistentGroupProtocol, memberId));
            if (memberId.Length == 0)
            {
                memberId = $"{clientId}-{Guid.NewGuid()}";
                if (requireKnownMemberId)
                {
                    group.PendingMemberIds.Add(memberId);
                    return Task.FromResult(JoinError(ErrorCode.MemberIdRequired, memberId));
                }
            }
            else if (!group.Members.ContainsKey(memberId) && !group.PendingMemberIds.Remove(memberId))
            {
                return Task.FromResult(JoinError(ErrorCode.UnknownMemberId, memberId));
            }
            if (!group.Members.TryGetValue(memberId, out var member))
            {
                member = new GroupMember(memberId, instanceId, clientId, clientHost);
                group.Members[memberId] = member;
            }
            member.SessionTimeoutMs = sessionTimeoutMs;
            member.RebalanceTimeoutMs = rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs;
            member.Protocols = protocols;
            member.LastHeartbeatMs = NowMs;
            member.PendingJoin?.TrySetResult(JoinError(ErrorCode.UnknownMemberId, memberId));
            member.PendingJoin = new TaskCompletionSource<JoinResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            group.ProtocolType = protocolType;
            if (group.State != GroupState.PreparingRebalance)
                PrepareRebalance(group, wasEmpty: group.State == GroupState.Empty);
            var task = member.PendingJoin.Task;
            MaybeCompleteJoin(group);
            return task;
        }
    }

    public Task<SyncResult> SyncAsync(string groupId, int generationId, string memberId, Dictionary<string, byte[]> assignments)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group) || !group.Members.TryGetValue(memberId, out var member))
                return Task.FromResult(new SyncResult((short)ErrorCode.UnknownMemberId, []));
            if (generationId != group.GenerationId)
                return Task.FromResult(new SyncResult((short)ErrorCode.IllegalGeneration, []));
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    return Task.FromResult(new SyncResult((short)ErrorCode.RebalanceInProgress, []));
                case GroupState.Stable:
                    return Task.FromResult(new SyncResult(0, member.Assignment));
            }
            member.LastHeartbeatMs = NowMs;
            if (memberId == group.LeaderId)
            {
                foreach (var m in group.Members.Values)
                    m.Assignment = assignments.TryGetValue(m.MemberId, out var a) ? a : [];
                group.State = GroupState.Stable;
                foreach (var m in group.Members.Values)
                {
                    m.PendingSync?.TrySetResult(new SyncResult(0, m.Assignment));
                    m.PendingSync = null;
                }
                return Task.FromResult(new SyncResult(0, member.Assignment));
            }
            member.PendingSync = new TaskCompletionSource<SyncResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            return member.PendingSync.Task;
        }
    }

    public ErrorCode Heartbeat(string groupId, int generationId, string memberId)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group) || !group.Members.TryGetValue(memberId, out var member))
                return ErrorCode.UnknownMemberId;
            if (generationId != group.GenerationId)
                return ErrorCode.IllegalGeneration;
            member.LastHeartbeatMs = NowMs;
            return group.State == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
        }
    }

    public ErrorCode Leave(string groupId, string memberId)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group) || !group.Members.TryGetValue(memberId, out var member))
                return ErrorCode.UnknownMemberId;
            RemoveMember(group, member);
            return ErrorCode.None;
        }
    }

    /// <summary>Checks that a commit comes from the current generation (simple commits use -1 and "").</summary>
    public ErrorCode ValidateCommit(string groupId, int generationId, string memberId)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
                return ErrorCode.InvalidGroupId;
            _groups.TryGetValue(groupId, out var group);
            if (generationId < 0 && memberId.Length == 0)
                return group is null || group.State == GroupState.Empty ? ErrorCode.None : ErrorCode.IllegalGeneration;
            if (group is null || !group.Members.TryGetValue(memberId, out var member))
                return ErrorCode.UnknownMemberId;
            if (generationId != group.GenerationId)
                return ErrorCode.IllegalGeneration;
            if (group.State == GroupState.CompletingRebalance)
                return ErrorCode.RebalanceInProgress;
            member.LastHeartbeatMs = NowMs;
            return ErrorCode.None;
        }
    }

    public List<Group> Snapshot()
    {
        lock (_lock)
            return [.. _groups.Values];
    }

    public (GroupState State, string? ProtocolType, string? Protocol, List<(GroupMember Member, byte[] Metadata)> Members)? Describe(string groupId)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group))
                return null;
            var members = new List<(GroupMember, byte[])>();
            foreach (var m in group.Members.Values)
                members.Add((m, group.ProtocolName is null ? [] : m.MetadataFor(group.ProtocolName) ?? []));
            return (group.State, group.ProtocolType, group.ProtocolName, members);
        }
    }

    public ErrorCode Delete(string groupId)
    {
        lock (_lock)
        {
            var hasOffsets = HasOffsets(groupId);
            if (!_groups.TryGetValue(groupId, out var group))
            {
                if (!hasOffsets)
                    return ErrorCode.GroupIdNotFound;
            }
            else if (group.Members.Count > 0)
            {
                return ErrorCode.NonEmptyGroup;
            }
            _groups.Remove(groupId);
            DeleteOffsets(groupId);
            return ErrorCode.None;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        ReleaseWaiters();
        SaveOffsets();
    }

    /// <summary>At shutdown: answers every waiting JoinGroup/SyncGroup so their connections can close.</summary>
    public void ReleaseWaiters()
    {
        lock (_lock)
        {
            foreach (var g in _groups.Values)
            {
                foreach (var m in g.Members.Values)
                {
                    m.PendingJoin?.TrySetResult(JoinError(ErrorCode.CoordinatorNotAvailable, m.MemberId));
                    m.PendingSync?.TrySetResult(new SyncResult((short)ErrorCode.CoordinatorNotAvailable, []));
                    m.PendingJoin = null;
                    m.PendingSync = null;
                }
            }
        }
    }

    private static JoinResult JoinError(ErrorCode error, string memberId) => new((short)error, -1, null, "", memberId, []);

    private Group GetOrCreate(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            group = new Group(groupId);
            _groups[groupId] = group;
        }
        return group;
    }

    private static bool SharesProtocol(Group group, List<(string Name, byte[] Metadata)> protocols)
    {
        foreach (var (name, _) in protocols)
        {
            var all = true;
            foreach (var m in group.Members.Values)
            {
                if (m.MetadataFor(name) is null)
                {
                    all = false;
                    break;
                }
            }
            if (all)
                return true;
        }
        return false;
    }

    private void PrepareRebalance(Group group, bool wasEmpty)
    {
        group.State = GroupState.PreparingRebalance;
        var timeout = 0;
        foreach (var m in group.Members.Values)
            timeout = Math.Max(timeout, m.RebalanceTimeoutMs);
        var delay = wasEmpty ? Math.Min(timeout, _config.GetInt("group.initial.rebalance.delay.ms")) : timeout;
        group.RebalanceDeadlineMs = NowMs + delay;
        foreach (var m in group.Members.Values)
        {
            m.PendingSync?.TrySetResult(new SyncResult((short)ErrorCode.RebalanceInProgress, []));
            m.PendingSync = null;
        }
    }

    /// <summary>Completes the join phase once every member has rejoined (or the deadline removed the rest).</summary>
    private void MaybeCompleteJoin(Group group, bool deadlinePassed = false)
    {
        if (group.State != GroupState.PreparingRebalance)
            return;
        var wasNewGroup = group.GenerationId == 0;
        if (wasNewGroup && !deadlinePassed && NowMs < group.RebalanceDeadlineMs)
            return;
        foreach (var m in group.Members.Values.ToList())
        {
            if (m.PendingJoin is null)
            {
                if (!deadlinePassed)
                    return;
                group.Members.Remove(m.MemberId);
            }
        }
        if (group.Members.Count == 0)
        {
            group.State = GroupState.Empty;
            group.GenerationId++;
            group.LeaderId = null;
            group.ProtocolName = null;
            return;
        }
        group.GenerationId++;
        if (group.LeaderId is null || !group.Members.ContainsKey(group.LeaderId))
            group.LeaderId = group.Members.Keys.First();
        var leader = group.Members[group.LeaderId];
        group.ProtocolName = null;
        foreach (var (name, _) in leader.Protocols)
        {
            if (group.Members.Values.All(m => m.MetadataFor(name) is not null))
            {
                group.ProtocolName = name;
                break;
            }
        }
        group.State = GroupState.CompletingRebalance;
        var members = new List<(string, string?, byte[])>();
        foreach (var m in group.Members.Values)
            members.Add((m.MemberId, m.InstanceId, m.MetadataFor(group.ProtocolName!) ?? []));
        foreach (var m in group.Members.Values)
        {
            var isLeader = m.MemberId == group.LeaderId;
            m.LastHeartbeatMs = NowMs;
            m.PendingJoin!.TrySetResult(new JoinResult(0, group.GenerationId, group.ProtocolName, group.LeaderId, m.MemberId, isLeader ? members : []));
            m.PendingJoin = null;
        }
    }

    private void RemoveMember(Group group, GroupMember member)
    {
        group.Members.Remove(member.MemberId);
        member.PendingJoin?.TrySetResult(JoinError(ErrorCode.UnknownMemberId, member.MemberId));
        member.PendingSync?.TrySetResult(new SyncResult((short)ErrorCode.UnknownMemberId, []));
        if (group.LeaderId == member.MemberId)
            group.LeaderId = null;
        if (group.Members.Count == 0 && group.State != GroupState.PreparingRebalance)
        {
            group.State = GroupState.Empty;
            group.GenerationId++;
            return;
        }
        if (group.State != GroupState.PreparingRebalance)
            PrepareRebalance(group, wasEmpty: false);
        MaybeCompleteJoin(group);
    }

    private void Tick()
    {
        try
        {
            lock (_lock)
            {
                var now = NowMs;
                foreach (var group in _groups.Values)
                {
                    if (group.State == GroupState.PreparingRebalance && now >= group.RebalanceDeadlineMs)
                        MaybeCompleteJoin(group, deadlinePassed: true);
                    foreach (var m in group.Members.Values.ToList())
                    {
                        if (m.PendingJoin is null && now - m.LastHeartbeatMs > m.SessionTimeoutMs)
                            RemoveMember(group, m);
                    }
                }
            }
            FlushOffsetsIfDirty();
        }
        catch (Exception ex)
        {
            Log.Error("group coordinator timer failed", ex);
        }
    }
}
