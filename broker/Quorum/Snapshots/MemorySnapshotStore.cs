namespace KafkaOperator.Quorum.Snapshots;

/// <summary>An in-memory <see cref="ISnapshotStore"/> for tests and simulation: a write is durable at once, as a file store's is when Write returns.</summary>
public sealed class MemorySnapshotStore : ISnapshotStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<SnapshotId, byte[]> _snapshots = [];

    public IReadOnlyList<SnapshotId> List()
    {
        lock (_lock)
            return [.. _snapshots.Keys];
    }

    public byte[] Read(SnapshotId id)
    {
        lock (_lock)
            return _snapshots.TryGetValue(id, out var data) ? data : throw new FileNotFoundException($"no snapshot {id}");
    }

    public void Write(SnapshotId id, ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        lock (_lock)
            _snapshots[id] = copy;
    }

    public void Delete(SnapshotId id)
    {
        lock (_lock)
            _snapshots.Remove(id);
    }

    public void Quarantine(SnapshotId id) => Delete(id);
}
