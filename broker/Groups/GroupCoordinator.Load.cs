using KafkaOperator.Groups.Persistence;
using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>Taking over and giving up __consumer_offsets partitions: replay on load, then serve from memory.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>Replays the partition's log (latest record per key wins, tombstones delete) and starts serving its groups.</summary>
    public void LoadPartition(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)partition, (uint)_partitionStates.Length, nameof(partition));
        if (Interlocked.CompareExchange(ref _partitionStates[partition], Loading, NotHosted) != NotHosted)
            return;
        try
        {
            var offsets = new Dictionary<string, Dictionary<TopicPartition, OffsetAndMetadata>>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, GroupMetadataValue?>(StringComparer.Ordinal);
            _logs.Replay(partition, record =>
            {
                switch (record)
                {
                    case OffsetRecord o when o.Value is null:
                        if (offsets.TryGetValue(o.Group, out var existing))
                            existing.Remove(o.Partition);
                        break;
                    case OffsetRecord o:
                        if (!offsets.TryGetValue(o.Group, out var map))
                            offsets[o.Group] = map = [];
                        map[o.Partition] = o.Value!;
                        break;
                    case GroupRecord g:
                        metadata[g.Group] = g.Value;
                        break;
                }
            });
            var now = NowMs;
            foreach (var groupId in offsets.Keys.Union(metadata.Keys))
            {
                var value = metadata.GetValueOrDefault(groupId);
                var groupOffsets = offsets.GetValueOrDefault(groupId);
                if (value is null && (groupOffsets is null || groupOffsets.Count == 0))
                    continue;
                var group = Restore(groupId, partition, value, now);
                if (groupOffsets is not null)
                {
                    foreach (var (tp, o) in groupOffsets)
                        group.Offsets[tp] = o;
                }
                _groups[groupId] = group;
            }
            Volatile.Write(ref _partitionStates[partition], Loaded);
        }
        catch
        {
            Volatile.Write(ref _partitionStates[partition], NotHosted);
            throw;
        }
    }

    /// <summary>Loads every partition the log store hosts.</summary>
    public void LoadHostedPartitions()
    {
        for (var p = 0; p < _partitionStates.Length; p++)
        {
            if (_logs.IsHosted(p))
                LoadPartition(p);
        }
    }

    /// <summary>Stops serving the partition's groups (leadership moved): their waiting requests answer NOT_COORDINATOR.</summary>
    public void UnloadPartition(int partition)
    {
        if ((uint)partition >= (uint)_partitionStates.Length)
            return;
        Volatile.Write(ref _partitionStates[partition], NotHosted);
        foreach (var group in _groups.Values.Where(g => g.Partition == partition).ToList())
        {
            lock (group.Lock)
            {
                foreach (var m in group.Members)
                {
                    Scheduler.Cancel(HeartbeatKey(group, m.MemberId));
                    m.CompleteJoin(new JoinGroupResult(ErrorCode.NotCoordinator, m.MemberId));
                    m.CompleteSync(new SyncGroupResult(ErrorCode.NotCoordinator));
                }
                Scheduler.Cancel(JoinKey(group));
                Scheduler.Cancel(SyncKey(group));
                group.TransitionTo(GroupState.Dead, NowMs);
                _groups.TryRemove(new KeyValuePair<string, ClassicGroup>(group.GroupId, group));
            }
        }
    }

    private ClassicGroup Restore(string groupId, int partition, GroupMetadataValue? value, long now)
    {
        var group = new ClassicGroup(groupId, partition, now);
        if (value is null)
            return group;
        group.GenerationId = value.Generation;
        group.ProtocolType = value.ProtocolType.Length == 0 ? null : value.ProtocolType;
        group.ProtocolName = value.Protocol;
        group.LeaderId = value.Leader;
        foreach (var m in value.Members)
        {
            var member = new GroupMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost)
            {
                SessionTimeoutMs = m.SessionTimeout,
                RebalanceTimeoutMs = m.RebalanceTimeout,
                ProtocolType = value.ProtocolType,
                Protocols = value.Protocol is { } p ? [new GroupProtocol(p, m.Subscription)] : [],
                Assignment = m.Assignment,
                IsNew = false,
            };
            group.Members.Add(member);
            if (m.GroupInstanceId is { } instance)
                group.StaticMembers[instance] = m.MemberId;
        }
        var stateTime = value.CurrentStateTimestamp >= 0 ? value.CurrentStateTimestamp : now;
        if (group.Members.Count > 0 && group.ProtocolName is not null)
        {
            group.TransitionTo(GroupState.Stable, stateTime);
            // Members get a fresh session: if they are gone, they expire and the group rebalances.
            foreach (var m in group.Members)
                ScheduleHeartbeat(group, m);
        }
        else
        {
            group.Members.Clear();
            group.StaticMembers.Clear();
            group.TransitionTo(GroupState.Empty, stateTime);
        }
        return group;
    }
}
