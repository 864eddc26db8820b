using System.Threading.Channels;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// <see cref="IMetadataStore"/> over the Raft metadata quorum: a change is proposed as a record, committed by a
/// majority of voters, applied in log order by every node (<see cref="MetadataStateMachine"/>), and the call returns
/// once this node has published the image that contains it, so a caller sees its own change, as with the file store.
/// Publishing (the <see cref="Changed"/> subscribers, which open and delete partition logs) runs on a task of its own
/// in commit order, never on the quorum's event loop, whose timers must not wait for disk work.
/// Exception policy: a change the quorum could not commit throws <see cref="QuorumException"/>; one that committed
/// but did not apply throws <see cref="MetadataStoreException"/> with the Kafka error. A record that cannot be decoded
/// stops publishing (the node would otherwise diverge from its peers) and is logged.
/// </summary>
public sealed class QuorumMetadataStore : IMetadataStore, IRaftSnapshotListener, IAsyncDisposable
{
    private const int KeptResults = 4096;

    private readonly Lock _lock = new();
    private readonly Channel<Publication> _publications = Channel.CreateUnbounded<Publication>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, TaskCompletionSource<ApplyResult>> _waiters = [];
    private readonly Dictionary<long, ApplyResult> _results = [];
    private readonly Queue<long> _resultOrder = new();
    private readonly Task _publisher;
    private readonly ProposedRecords _proposed = new();
    private MetadataImage _applied = MetadataImage.Empty;
    private volatile MetadataImage _published = MetadataImage.Empty;
    private long _publishedOffset = -1;
    private int _controllerId = -1;
    private bool _broken;
    private bool _caughtUp;
    private IMetadataQuorum? _quorum;

    public QuorumMetadataStore(string clusterId, int nodeId)
    {
        ClusterId = clusterId;
        NodeId = nodeId;
        _publisher = Task.Run(PublishLoopAsync);
        _ = Task.Run(MetadataRecordCodec.WarmUp);
    }

    public string ClusterId { get; }

    public int NodeId { get; }

    public MetadataImage Image => _published;

    /// <summary>Set once this node has published everything the quorum had committed when it started (<see cref="MarkCaughtUp"/>).</summary>
    public bool IsComplete => Volatile.Read(ref _caughtUp);

    public event Action<MetadataImage, MetadataDelta>? Changed;

    private IMetadataQuorum Quorum => _quorum ?? throw new InvalidOperationException("the metadata quorum is not attached");

    /// <summary>Called once a record proposed after start has been published here, so every earlier commit has been too.</summary>
    public void MarkCaughtUp() => Volatile.Write(ref _caughtUp, true);

    /// <summary>Connects the store to its quorum (which is built with this store as its listener).</summary>
    public void Attach(IMetadataQuorum quorum) => _quorum = quorum;

    /// <summary>Commits <paramref name="record"/> and waits until this node has published its effect.</summary>
    public async Task<ApplyResult> ProposeAsync(MetadataRecord record, CancellationToken cancellationToken = default)
    {
        var offset = await Quorum.ProposeAsync(Encode(record), cancellationToken).ConfigureAwait(false);
        return await WaitPublishedAsync(offset, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Encodes a record this node proposes; a large one (a fencing's batch of thousands of partition changes) is kept
    /// decoded, so that applying its commit here skips decoding it again (<see cref="ProposedRecords"/>).
    /// </summary>
    public byte[] Encode(MetadataRecord record)
    {
        var payload = MetadataRecordCodec.Encode(record);
        _proposed.Remember(payload, record);
        return payload;
    }

    public Task CreateTopicAsync(TopicMetadata topic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var replicas = topic.Partitions.Select(p => p.Replicas).ToList();
        return CommitAsync(new CreateTopicRecord(topic.Name, topic.TopicId, replicas, new Dictionary<string, string>(topic.Configs, StringComparer.Ordinal)), cancellationToken);
    }

    public Task DeleteTopicAsync(Guid topicId, CancellationToken cancellationToken = default) =>
        CommitAsync(new DeleteTopicRecord(topicId), cancellationToken);

    public Task AddPartitionsAsync(Guid topicId, IReadOnlyList<PartitionMetadata> added, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(added);
        return CommitAsync(new AddPartitionsRecord(topicId, [.. added.Select(p => p.Replicas)]), cancellationToken);
    }

    public Task SetTopicConfigsAsync(Guid topicId, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) =>
        CommitAsync(new TopicConfigsRecord(topicId, new Dictionary<string, string>(configs, StringComparer.Ordinal)), cancellationToken);

    public Task SetBrokerConfigsAsync(IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) =>
        CommitAsync(new BrokerConfigsRecord(new Dictionary<string, string>(configs, StringComparer.Ordinal)), cancellationToken);

    public async Task<long> AllocateProducerIdBlockAsync(int count, CancellationToken cancellationToken = default)
    {
        var result = await ProposeAsync(new ProducerIdsRecord(NodeId, count), cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(result);
        return result.Value;
    }

    private async Task CommitAsync(MetadataRecord record, CancellationToken cancellationToken) =>
        ThrowIfFailed(await ProposeAsync(record, cancellationToken).ConfigureAwait(false));

    private static void ThrowIfFailed(ApplyResult result)
    {
        if (result.Error != Protocol.ErrorCode.None)
            throw new MetadataStoreException(result.Error, result.Message ?? result.Error.ToString());
    }

    void IRaftListener.OnCommitted(IReadOnlyList<RaftEntry> entries)
    {
        var results = new List<(long, ApplyResult)>(entries.Count);
        MetadataImage image;
        MetadataDelta delta;
        var traced = Traced(entries);
        var started = traced ? Log.Micros() : 0;
        long decoded = 0;
        lock (_lock)
        {
            if (_broken)
                return;
            var machine = new MetadataStateMachine(_applied);
            foreach (var entry in entries)
            {
                MetadataRecord record;
                try
                {
                    record = _proposed.Take(entry.Payload) ?? MetadataRecordCodec.Decode(entry.Payload);
                }
                catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or NotSupportedException)
                {
                    _broken = true;
                    Log.Error($"metadata record at offset {entry.Offset} cannot be read; this node stops applying metadata", ex);
                    break;
                }
                if (traced)
                    decoded += Log.Micros();
                results.Add((entry.Offset, machine.Apply(record, entry.Offset)));
                if (traced)
                    decoded -= Log.Micros();
            }
            image = machine.ToImage(_controllerId);
            delta = machine.Delta;
            _applied = image;
        }
        if (traced)
            Log.Info($"trace: entries {entries[0].Offset}-{entries[^1].Offset} decoded and applied in the state machine (start t={started}, applying {-decoded} us of it), image t={Log.Micros()}");
        _publications.Writer.TryWrite(new Publication(image, delta, results) { Traced = traced });
    }

    /// <summary>A new controller changes only the image's controller id: everything else is shared, and the delta says just that.</summary>
    void IRaftListener.OnLeaderChange(LeaderAndEpoch leader)
    {
        MetadataImage image;
        MetadataDelta delta;
        lock (_lock)
        {
            _controllerId = leader.LeaderId;
            var machine = new MetadataStateMachine(_applied);
            image = machine.ToImage(_controllerId);
            delta = machine.Delta;
            _applied = image;
        }
        _publications.Writer.TryWrite(new Publication(image, delta, []));
    }

    /// <summary>
    /// The image is the snapshot's now (at start, or fetched from the leader); records after it follow. Its delta is
    /// full: what the snapshot replaced is not known record by record, so subscribers walk the whole image once.
    /// </summary>
    void IRaftSnapshotListener.OnSnapshotLoaded(SnapshotId id, byte[] data)
    {
        MetadataImage image;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_lock)
        {
            image = MetadataSnapshot.Decode(data, _controllerId);
            _applied = image;
        }
        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.Info($"metadata: loaded snapshot {id} ({data.Length} bytes, {image.TopicsById.Count} topics, {PartitionCount(image)} partitions) in {ms:0} ms");
        _publications.Writer.TryWrite(new Publication(image, MetadataDelta.Full(), [], id.EndOffset - 1));
    }

    /// <summary>The applied image is immutable, so serializing it later, on another thread, sees exactly this state.</summary>
    Func<byte[]> IRaftSnapshotListener.CaptureSnapshot()
    {
        MetadataImage image;
        lock (_lock)
            image = _applied;
        return () =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var data = MetadataSnapshot.Encode(image);
            // Once per snapshot (20 MB of records or an hour by default): what a large image costs to write.
            Log.Info($"metadata: snapshot of {image.TopicsById.Count} topics, {PartitionCount(image)} partitions encoded ({data.Length} bytes) in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            return data;
        };
    }

    private static bool Traced(IReadOnlyList<RaftEntry> entries)
    {
        foreach (var e in entries)
        {
            if (e.Payload.Length >= ProposedRecords.MinBytes)
                return true;
        }
        return false;
    }

    /// <summary>Each subscriber in turn, timed when the publication is traced (a large batch): which of them the time goes to.</summary>
    private void InvokeSubscribers(Publication publication)
    {
        if (Changed is not { } changed)
            return;
        if (!publication.Traced)
        {
            changed(publication.Image, publication.Delta);
            return;
        }
        var started = Log.Micros();
        var parts = new List<string>();
        foreach (var subscriber in changed.GetInvocationList().Cast<Action<MetadataImage, MetadataDelta>>())
        {
            var t = Log.Micros();
            subscriber(publication.Image, publication.Delta);
            parts.Add($"{subscriber.Method.DeclaringType?.Name}.{subscriber.Method.Name} {Log.Micros() - t} us");
        }
        Log.Info($"trace: published ({string.Join(", ", parts)}) start t={started}, done t={Log.Micros()}");
    }

    private static long PartitionCount(MetadataImage image)
    {
        long n = 0;
        foreach (var t in image.TopicsById.Values)
            n += t.Partitions.Length;
        return n;
    }

    private async Task<ApplyResult> WaitPublishedAsync(long offset, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ApplyResult> waiter;
        lock (_lock)
        {
            if (offset <= _publishedOffset)
                return _results.TryGetValue(offset, out var done) ? done : ApplyResult.Ok;
            if (!_waiters.TryGetValue(offset, out waiter!))
            {
                waiter = new TaskCompletionSource<ApplyResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[offset] = waiter;
            }
        }
        return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishLoopAsync()
    {
        await foreach (var publication in _publications.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _published = publication.Image;
            try
            {
                InvokeSubscribers(publication);
            }
            catch (Exception ex)
            {
                Log.Error("a metadata subscriber failed", ex);
            }
            var done = new List<(TaskCompletionSource<ApplyResult>, ApplyResult)>();
            lock (_lock)
            {
                // A snapshot covers offsets whose results this node never computed: their waiters get success.
                if (publication.UpTo > _publishedOffset)
                {
                    _publishedOffset = publication.UpTo;
                    foreach (var offset in _waiters.Keys.Where(o => o <= publication.UpTo).ToList())
                    {
                        _waiters.Remove(offset, out var waiter);
                        done.Add((waiter!, ApplyResult.Ok));
                    }
                }
                foreach (var (offset, result) in publication.Results)
                {
                    _publishedOffset = offset;
                    _results[offset] = result;
                    _resultOrder.Enqueue(offset);
                    if (_resultOrder.Count > KeptResults)
                        _results.Remove(_resultOrder.Dequeue());
                    if (_waiters.Remove(offset, out var waiter))
                        done.Add((waiter, result));
                }
            }
            foreach (var (waiter, result) in done)
                waiter.TrySetResult(result);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _publications.Writer.TryComplete();
        await _publisher.ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var waiter in _waiters.Values)
                waiter.TrySetException(new QuorumException(RaftErrors.BrokerNotAvailable, "the broker is shutting down"));
            _waiters.Clear();
        }
    }

    private sealed record Publication(MetadataImage Image, MetadataDelta Delta, List<(long Offset, ApplyResult Result)> Results, long UpTo = -1)
    {
        public bool Traced { get; init; }
    }
}
