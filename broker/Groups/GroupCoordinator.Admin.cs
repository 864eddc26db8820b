using KafkaOperator.Groups.Persistence;
using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>ListGroups, DescribeGroups, DeleteGroups, OffsetDelete and the offset retention job.</summary>
public sealed partial class GroupCoordinator
{
    private const string ExpiryKey = "expire-offsets";

    /// <summary>Groups of the loaded partitions; filters match Kafka's state names and group types case-insensitively.</summary>
    public IReadOnlyList<GroupListing> ListGroups(IReadOnlyCollection<string>? states = null, IReadOnlyCollection<string>? types = null)
    {
        var result = new List<GroupListing>();
        if (types is { Count: > 0 } && !types.Contains("classic", StringComparer.OrdinalIgnoreCase))
            return result;
        foreach (var group in _groups.Values)
        {
            if (!IsLoaded(group.Partition))
                continue;
            lock (group.Lock)
            {
                if (group.State == GroupState.Dead)
                    continue;
                if (states is { Count: > 0 } && !states.Contains(group.State.ToString(), StringComparer.OrdinalIgnoreCase))
                    continue;
                result.Add(new GroupListing(group.GroupId, group.ProtocolType ?? "", group.State));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.GroupId, b.GroupId));
        return result;
    }

    /// <summary>An unknown group is described as Dead with no error, as Kafka does for DescribeGroups v0-v5.</summary>
    public GroupDescription DescribeGroup(string groupId)
    {
        if (string.IsNullOrEmpty(groupId))
            return new GroupDescription(ErrorCode.InvalidGroupId, groupId ?? "", GroupState.Dead, "", "", []);
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return new GroupDescription(error, groupId, GroupState.Dead, "", "", []);
        if (Find(groupId) is not { } group)
            return new GroupDescription(ErrorCode.None, groupId, GroupState.Dead, "", "", []);
        lock (group.Lock)
        {
            var stable = group.State == GroupState.Stable;
            var members = group.Members.Select(m => new MemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable ? m.MetadataFor(group.ProtocolName!) ?? [] : [],
                stable ? m.Assignment : [])).ToList();
            return new GroupDescription(ErrorCode.None, groupId, group.State, group.ProtocolType ?? "", stable ? group.ProtocolName ?? "" : "", members);
        }
    }

    /// <summary>Deletes an empty group with its offsets (tombstones in the log).</summary>
    public ErrorCode DeleteGroup(string groupId)
    {
        if (string.IsNullOrEmpty(groupId))
            return ErrorCode.InvalidGroupId;
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return error;
        if (Find(groupId) is not { } group)
            return ErrorCode.GroupIdNotFound;
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
                return ErrorCode.GroupIdNotFound;
            if (group.State != GroupState.Empty)
                return ErrorCode.NonEmptyGroup;
            var records = group.Offsets.Keys.Select(tp => (CoordinatorRecordCodec.OffsetKey(groupId, tp), (byte[]?)null)).ToList();
            records.Add((CoordinatorRecordCodec.GroupKey(groupId), null));
            var appendError = MapAppendError(_logs.Append(group.Partition, records, NowMs));
            if (appendError != ErrorCode.None)
                return appendError;
            MarkDead(group);
            return ErrorCode.None;
        }
    }

    /// <summary>OffsetDelete: refuses the topics a non-empty consumer group still subscribes to.</summary>
    public OffsetDeleteResult DeleteOffsets(string groupId, IReadOnlyList<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (string.IsNullOrEmpty(groupId))
            return new OffsetDeleteResult(ErrorCode.InvalidGroupId, []);
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return new OffsetDeleteResult(error, []);
        if (Find(groupId) is not { } group)
            return new OffsetDeleteResult(ErrorCode.GroupIdNotFound, []);
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
                return new OffsetDeleteResult(ErrorCode.GroupIdNotFound, []);
            HashSet<string>? subscribed = null;
            if (group.State != GroupState.Empty)
            {
                subscribed = group.SubscribedTopics();
                if (subscribed is null)
                    return new OffsetDeleteResult(ErrorCode.NonEmptyGroup, []);
            }
            var results = new (TopicPartition, ErrorCode)[partitions.Count];
            var records = new List<(byte[] Key, byte[]? Value)>();
            var deleted = new List<int>();
            for (var i = 0; i < partitions.Count; i++)
            {
                var tp = partitions[i];
                if (!_partitionExists(tp))
                    results[i] = (tp, ErrorCode.UnknownTopicOrPartition);
                else if (subscribed is not null && subscribed.Contains(tp.Topic))
                    results[i] = (tp, ErrorCode.GroupSubscribedToTopic);
                else
                {
                    results[i] = (tp, ErrorCode.None);
                    if (group.Offsets.ContainsKey(tp))
                    {
                        records.Add((CoordinatorRecordCodec.OffsetKey(groupId, tp), null));
                        deleted.Add(i);
                    }
                }
            }
            var appendError = MapAppendError(_logs.Append(group.Partition, records, NowMs));
            if (appendError != ErrorCode.None)
                return new OffsetDeleteResult(appendError, []);
            foreach (var i in deleted)
                group.Offsets.Remove(partitions[i]);
            return new OffsetDeleteResult(ErrorCode.None, results);
        }
    }

    /// <summary>Runs the retention job now (the scheduler runs it every offsets.retention.check.interval.ms).</summary>
    public int ExpireOffsets()
    {
        var now = NowMs;
        var expired = 0;
        foreach (var group in _groups.Values)
        {
            if (!IsLoaded(group.Partition))
                continue;
            lock (group.Lock)
                expired += ExpireOffsets(group, now);
        }
        return expired;
    }

    private int ExpireOffsets(ClassicGroup group, long now)
    {
        if (group.State == GroupState.Dead)
            return 0;
        HashSet<string>? keepTopics = null;
        Func<OffsetAndMetadata, long> baseTime;
        if (group.State == GroupState.Empty)
        {
            // A group that had members counts from when it became empty; a commit-only group from each commit.
            var emptySince = group.CurrentStateTimestamp;
            baseTime = group.ProtocolType is null ? o => o.CommitTimestamp : _ => emptySince;
        }
        else if (group.SubscribedTopics() is { } subscribed)
        {
            keepTopics = subscribed;
            baseTime = o => o.CommitTimestamp;
        }
        else
        {
            return 0;
        }
        var expired = group.Offsets
            .Where(kv => keepTopics is null || !keepTopics.Contains(kv.Key.Topic))
            .Where(kv => kv.Value.ExpireTimestamp >= 0 ? now >= kv.Value.ExpireTimestamp : baseTime(kv.Value) + _options.OffsetsRetentionMs <= now)
            .Select(kv => kv.Key)
            .ToList();
        var records = expired.Select(tp => (CoordinatorRecordCodec.OffsetKey(group.GroupId, tp), (byte[]?)null)).ToList();
        var removeGroup = group.State == GroupState.Empty && group.Offsets.Count == expired.Count;
        if (removeGroup)
            records.Add((CoordinatorRecordCodec.GroupKey(group.GroupId), null));
        if (records.Count == 0 || _logs.Append(group.Partition, records, now) != ErrorCode.None)
            return 0;
        foreach (var tp in expired)
            group.Offsets.Remove(tp);
        if (removeGroup)
            MarkDead(group);
        return expired.Count;
    }

    private void MarkDead(ClassicGroup group)
    {
        group.TransitionTo(GroupState.Dead, NowMs);
        _groups.TryRemove(new KeyValuePair<string, ClassicGroup>(group.GroupId, group));
    }

    private void ScheduleExpiry() =>
        Scheduler.Schedule(ExpiryKey, NowMs + _options.OffsetsRetentionCheckIntervalMs, () =>
        {
            try
            {
                ExpireOffsets();
            }
            finally
            {
                ScheduleExpiry();
            }
        });
}
