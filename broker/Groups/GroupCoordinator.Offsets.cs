using System.Text;
using KafkaOperator.Groups.Persistence;
using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>OffsetCommit and OffsetFetch: a commit is answered only after its records are in __consumer_offsets.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>Commits offsets; the result has one error per entry, in the entries' order.</summary>
    public IReadOnlyList<ErrorCode> CommitOffsets(OffsetCommitParams request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.GroupId))
            return Fill(request, ErrorCode.InvalidGroupId);
        if (CoordinatorError(request.GroupId) is var error && error != ErrorCode.None)
            return Fill(request, error);
        var group = Find(request.GroupId);
        if (group is null)
        {
            // Without group management (generation -1) a client may store offsets for any group id.
            if (request.GenerationId >= 0)
                return Fill(request, ErrorCode.IllegalGeneration);
            group = GetOrCreate(request.GroupId);
        }
        lock (group.Lock)
        {
            var invalid = ValidateCommit(group, request);
            return invalid != ErrorCode.None ? Fill(request, invalid) : StoreOffsets(group, request);
        }
    }

    private ErrorCode ValidateCommit(ClassicGroup group, OffsetCommitParams request)
    {
        if (group.State == GroupState.Dead)
            return ErrorCode.CoordinatorNotAvailable;
        if (request.GroupInstanceId is not null && group.StaticMemberId(request.GroupInstanceId) is { } current && current != request.MemberId)
            return ErrorCode.FencedInstanceId;
        if (request.GenerationId < 0 && group.State == GroupState.Empty)
            return ErrorCode.None;
        if (group.Get(request.MemberId) is not { } member)
            return ErrorCode.UnknownMemberId;
        if (request.GenerationId != group.GenerationId)
            return ErrorCode.IllegalGeneration;
        if (group.State == GroupState.CompletingRebalance)
            return ErrorCode.RebalanceInProgress;
        ScheduleHeartbeat(group, member);
        return ErrorCode.None;
    }

    private ErrorCode[] StoreOffsets(ClassicGroup group, OffsetCommitParams request)
    {
        var now = NowMs;
        var errors = new ErrorCode[request.Offsets.Count];
        var records = new List<(byte[] Key, byte[]? Value)>(request.Offsets.Count);
        var accepted = new List<(int Index, OffsetAndMetadata Value)>(request.Offsets.Count);
        for (var i = 0; i < request.Offsets.Count; i++)
        {
            var entry = request.Offsets[i];
            if (!_partitionExists(entry.Partition))
            {
                errors[i] = ErrorCode.UnknownTopicOrPartition;
                continue;
            }
            var metadata = entry.Metadata ?? "";
            if (Encoding.UTF8.GetByteCount(metadata) > _options.OffsetMetadataMaxBytes)
            {
                errors[i] = ErrorCode.OffsetMetadataTooLarge;
                continue;
            }
            var commitTimestamp = entry.CommitTimestamp >= 0 ? entry.CommitTimestamp : now;
            var expire = request.RetentionTimeMs > 0 ? commitTimestamp + request.RetentionTimeMs : -1;
            var value = new OffsetAndMetadata(entry.Offset, entry.LeaderEpoch, metadata, commitTimestamp, expire);
            records.Add((CoordinatorRecordCodec.OffsetKey(group.GroupId, entry.Partition), CoordinatorRecordCodec.OffsetValue(value)));
            accepted.Add((i, value));
        }
        if (accepted.Count == 0)
            return errors;
        var appendError = MapAppendError(_logs.Append(group.Partition, records, now));
        foreach (var (index, value) in accepted)
        {
            errors[index] = appendError;
            if (appendError == ErrorCode.None)
                group.Offsets[request.Offsets[index].Partition] = value;
        }
        return errors;
    }

    private static ErrorCode[] Fill(OffsetCommitParams request, ErrorCode error)
    {
        var errors = new ErrorCode[request.Offsets.Count];
        Array.Fill(errors, error);
        return errors;
    }

    /// <summary>
    /// The committed offsets of the partitions asked for (all of the group's when null); -1 for partitions
    /// without a commit. RequireStable has nothing to wait for: this coordinator has no pending transactional commits.
    /// </summary>
    public OffsetFetchResult FetchOffsets(string groupId, IReadOnlyList<TopicPartition>? partitions, bool requireStable = false)
    {
        _ = requireStable;
        if (string.IsNullOrEmpty(groupId))
            return new OffsetFetchResult(ErrorCode.InvalidGroupId, []);
        if (CoordinatorError(groupId) is var error && error != ErrorCode.None)
            return new OffsetFetchResult(error, []);
        var group = Find(groupId);
        var result = new List<FetchedOffset>();
        if (group is null)
        {
            foreach (var tp in partitions ?? [])
                result.Add(new FetchedOffset(tp, -1, -1, "", ErrorCode.None));
            return new OffsetFetchResult(ErrorCode.None, result);
        }
        lock (group.Lock)
        {
            if (partitions is null)
            {
                foreach (var (tp, o) in group.Offsets.OrderBy(kv => kv.Key.Topic, StringComparer.Ordinal).ThenBy(kv => kv.Key.Partition))
                    result.Add(new FetchedOffset(tp, o.Offset, o.LeaderEpoch, o.Metadata, ErrorCode.None));
            }
            else
            {
                foreach (var tp in partitions)
                {
                    result.Add(group.Offsets.TryGetValue(tp, out var o)
                        ? new FetchedOffset(tp, o.Offset, o.LeaderEpoch, o.Metadata, ErrorCode.None)
                        : new FetchedOffset(tp, -1, -1, "", ErrorCode.None));
                }
            }
        }
        return new OffsetFetchResult(ErrorCode.None, result);
    }

    /// <summary>The group's committed offsets (for lag: log end offset minus committed offset); empty for an unknown group.</summary>
    public IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> CommittedOffsets(string groupId)
    {
        if (Find(groupId) is not { } group)
            return new Dictionary<TopicPartition, OffsetAndMetadata>();
        lock (group.Lock)
            return new Dictionary<TopicPartition, OffsetAndMetadata>(group.Offsets);
    }
}
