using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Groups;

/// <summary>One committed offset.</summary>
public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs);

/// <summary>
/// Committed offsets, per group and partition. Kept in memory and written to consumer-offsets.json in the first
/// log dir (atomically) by the coordinator's timer within a quarter second of a commit, and at shutdown.
/// </summary>
public sealed partial class GroupCoordinator
{
    public const string OffsetsFileName = "consumer-offsets.json";

    private readonly string _offsetsPath;
    private readonly Lock _offsetsLock = new();
    private readonly Dictionary<string, Dictionary<(string Topic, int Partition), CommittedOffset>> _offsets = new(StringComparer.Ordinal);
    private bool _dirty;

    public void Commit(string groupId, string topic, int partition, CommittedOffset offset)
    {
        lock (_offsetsLock)
        {
            if (!_offsets.TryGetValue(groupId, out var group))
            {
                group = [];
                _offsets[groupId] = group;
            }
            group[(topic, partition)] = offset;
            _dirty = true;
        }
    }

    public CommittedOffset? Fetch(string groupId, string topic, int partition)
    {
        lock (_offsetsLock)
            return _offsets.TryGetValue(groupId, out var group) && group.TryGetValue((topic, partition), out var o) ? o : null;
    }

    /// <summary>Every committed offset of a group, grouped by topic.</summary>
    public Dictionary<string, List<(int Partition, CommittedOffset Offset)>> FetchAll(string groupId)
    {
        var result = new Dictionary<string, List<(int, CommittedOffset)>>(StringComparer.Ordinal);
        lock (_offsetsLock)
        {
            if (!_offsets.TryGetValue(groupId, out var group))
                return result;
            foreach (var ((topic, partition), offset) in group)
            {
                if (!result.TryGetValue(topic, out var list))
                    result[topic] = list = [];
                list.Add((partition, offset));
            }
        }
        foreach (var list in result.Values)
            list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    /// <summary>Groups that only have committed offsets (no live members) are listed too.</summary>
    public List<string> GroupsWithOffsets()
    {
        lock (_offsetsLock)
            return [.. _offsets.Keys];
    }

    private bool HasOffsets(string groupId)
    {
        lock (_offsetsLock)
            return _offsets.ContainsKey(groupId);
    }

    private void DeleteOffsets(string groupId)
    {
        lock (_offsetsLock)
            _dirty |= _offsets.Remove(groupId);
    }

    private void FlushOffsetsIfDirty()
    {
        if (Volatile.Read(ref _dirty))
            SaveOffsets();
    }

    private void SaveOffsets()
    {
        List<OffsetDocument> docs;
        lock (_offsetsLock)
        {
            if (!_dirty && File.Exists(_offsetsPath))
                return;
            docs = [];
            foreach (var (group, offsets) in _offsets)
            {
                foreach (var ((topic, partition), o) in offsets)
                    docs.Add(new OffsetDocument(group, topic, partition, o.Offset, o.LeaderEpoch, o.Metadata, o.CommitTimestampMs));
            }
            _dirty = false;
        }
        try
        {
            AtomicFile.Write(_offsetsPath, JsonSerializer.SerializeToUtf8Bytes(docs, OffsetsJsonContext.Default.ListOffsetDocument));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Error($"writing {_offsetsPath} failed", ex);
            lock (_offsetsLock)
                _dirty = true;
        }
    }

    private void LoadOffsets()
    {
        if (!File.Exists(_offsetsPath))
            return;
        try
        {
            var docs = JsonSerializer.Deserialize(File.ReadAllBytes(_offsetsPath), OffsetsJsonContext.Default.ListOffsetDocument) ?? [];
            foreach (var d in docs)
                Commit(d.Group, d.Topic, d.Partition, new CommittedOffset(d.Offset, d.LeaderEpoch, d.Metadata, d.CommitTimestampMs));
            _dirty = false;
        }
        catch (JsonException ex)
        {
            Log.Error($"{_offsetsPath} is unreadable; starting without committed offsets", ex);
        }
    }
}

internal sealed record OffsetDocument(string Group, string Topic, int Partition, long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<OffsetDocument>))]
internal sealed partial class OffsetsJsonContext : JsonSerializerContext
{
}
