using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Consumer;

/// <summary>
/// A consumer without groups: partitions are assigned explicitly with a starting offset and fetched from their
/// leaders. Not thread-safe: one caller polls at a time.
/// </summary>
public sealed class KafkaConsumer : IAsyncDisposable
{
    private static readonly ApiVersionRange FetchByName = new(4, 12);
    private readonly Dictionary<(string Topic, int Partition), long> _positions = [];
    private readonly Dictionary<(string Topic, int Partition), long> _highWatermarks = [];
    private readonly KafkaAdminClient _admin;
    private readonly bool _ownsCluster;
    private readonly PooledBufferWriter _scratch = new();

    public KafkaConsumer(KafkaCluster cluster, KafkaConsumerOptions? options = null, bool ownsCluster = false)
    {
        Cluster = cluster;
        Options = options ?? new KafkaConsumerOptions();
        _ownsCluster = ownsCluster;
        _admin = new KafkaAdminClient(cluster);
    }

    public KafkaCluster Cluster { get; }

    public KafkaConsumerOptions Options { get; }

    public static async Task<KafkaConsumer> ConnectAsync(KafkaClientOptions clientOptions, KafkaConsumerOptions? options = null,
        CancellationToken cancellationToken = default) =>
        new(await KafkaCluster.ConnectAsync(clientOptions, cancellationToken).ConfigureAwait(false), options, ownsCluster: true);

    /// <summary>Starts reading a partition at <paramref name="offset"/> (or <see cref="OffsetSpec.Earliest"/>/<see cref="OffsetSpec.Latest"/>).</summary>
    public void Assign(string topic, int partition, long offset = OffsetSpec.Earliest) => _positions[(topic, partition)] = offset;

    public void Unassign(string topic, int partition)
    {
        _positions.Remove((topic, partition));
        _highWatermarks.Remove((topic, partition));
    }

    /// <summary>Assigns every partition of a topic at the same starting offset or spec.</summary>
    public async Task AssignTopicAsync(string topic, long offset = OffsetSpec.Earliest, CancellationToken cancellationToken = default)
    {
        var metadata = await Cluster.GetTopicAsync(topic, refresh: true, cancellationToken).ConfigureAwait(false);
        foreach (var p in metadata.Partitions)
        {
            Assign(topic, p.Partition, offset);
        }
    }

    /// <summary>Next offset to fetch per assigned partition (negative while still an unresolved spec).</summary>
    public IReadOnlyDictionary<(string Topic, int Partition), long> Positions => _positions;

    /// <summary>High watermark per partition as of the last fetch that returned it.</summary>
    public IReadOnlyDictionary<(string Topic, int Partition), long> HighWatermarks => _highWatermarks;

    /// <summary>One fetch round over all assigned partitions; calls <paramref name="handler"/> per record and returns the count.</summary>
    public async Task<int> PollAsync(RecordHandler handler, CancellationToken cancellationToken = default)
    {
        await ResolveSpecsAsync(cancellationToken).ConfigureAwait(false);
        var responses = await PartitionRouter.SendByLeaderAsync(Cluster, _positions.Keys.ToList(), FetchFromLeaderAsync,
            r => (ErrorCode)r.ErrorCode,
            (tp, ex) => new FetchResponse.PartitionData { PartitionIndex = tp.Partition, ErrorCode = (short)ex.Code },
            cancellationToken).ConfigureAwait(false);

        var count = 0;
        foreach (var ((topic, partition), data) in responses)
        {
            count += await ApplyAsync(topic, partition, data, handler, cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>One fetch round returning copies of the records.</summary>
    public async Task<IReadOnlyList<ConsumeResult>> FetchAsync(CancellationToken cancellationToken = default)
    {
        var results = new List<ConsumeResult>();
        await PollAsync((topic, partition, record) => results.Add(Copy(topic, partition, record)), cancellationToken)
            .ConfigureAwait(false);
        return results;
    }

    /// <summary>Fetches until cancelled, yielding records in per-partition order.</summary>
    public async IAsyncEnumerable<ConsumeResult> ConsumeAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var record in await FetchAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }

    private async Task<Dictionary<(string Topic, int Partition), FetchResponse.PartitionData>> FetchFromLeaderAsync(
        KafkaConnection connection, IReadOnlyList<(string Topic, int Partition)> partitions, CancellationToken cancellationToken)
    {
        var topicIds = new Dictionary<string, Guid>();
        foreach (var topic in partitions.Select(p => p.Topic).Distinct())
        {
            topicIds[topic] = Cluster.Metadata.Topics.TryGetValue(topic, out var t) ? t.TopicId : Guid.Empty;
        }

        // Fetch v13+ names topics by id only; use it when every topic's id is known.
        var versions = topicIds.Values.All(id => id != Guid.Empty) ? (ApiVersionRange?)null : FetchByName;
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = Options.MaxWaitMs,
            MinBytes = Options.MinBytes,
            MaxBytes = Options.MaxBytes,
            SessionId = 0,
            SessionEpoch = -1,
            Topics = partitions.GroupBy(p => p.Topic).Select(g => new FetchRequest.FetchTopic
            {
                Topic = g.Key,
                TopicId = topicIds[g.Key],
                Partitions = g.Select(p => new FetchRequest.FetchPartition
                {
                    Partition = p.Partition,
                    FetchOffset = _positions[p],
                    PartitionMaxBytes = Options.PartitionMaxBytes,
                }).ToList(),
            }).ToList(),
        };
        var response = await connection.SendAsync<FetchRequest, FetchResponse>(request, versions, cancellationToken).ConfigureAwait(false);
        KafkaException.ThrowIfError(response.ErrorCode, $"Fetch from broker {connection.BrokerId} failed.");
        var byId = topicIds.ToDictionary(kv => kv.Value, kv => kv.Key);
        var result = new Dictionary<(string Topic, int Partition), FetchResponse.PartitionData>();
        foreach (var topic in response.Responses)
        {
            var name = !string.IsNullOrEmpty(topic.Topic) ? topic.Topic : byId.GetValueOrDefault(topic.TopicId, "");
            foreach (var p in topic.Partitions)
            {
                result[(name, p.PartitionIndex)] = p;
            }
        }

        return result;
    }

    private async Task<int> ApplyAsync(string topic, int partition, FetchResponse.PartitionData data, RecordHandler handler,
        CancellationToken cancellationToken)
    {
        var error = (ErrorCode)data.ErrorCode;
        if (error == ErrorCode.OffsetOutOfRange && Options.AutoOffsetReset != AutoOffsetReset.None)
        {
            _positions[(topic, partition)] = Options.AutoOffsetReset == AutoOffsetReset.Earliest ? OffsetSpec.Earliest : OffsetSpec.Latest;
            await ResolveSpecsAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }

        if (error != ErrorCode.None)
        {
            if (KafkaException.IsRetriableCode(error))
            {
                return 0; // metadata was refreshed by the router; the next poll goes to the new leader
            }

            throw new KafkaException(error, $"Fetching {topic}-{partition} at offset {_positions[(topic, partition)]} failed.");
        }

        _highWatermarks[(topic, partition)] = data.HighWatermark;
        if (data.Records is not MemoryRecordSet records || records.SizeInBytes == 0)
        {
            return 0;
        }

        return Deliver(topic, partition, records.Bytes.Span, handler);
    }

    private int Deliver(string topic, int partition, ReadOnlySpan<byte> bytes, RecordHandler handler)
    {
        var position = _positions[(topic, partition)];
        var count = 0;
        var batches = new RecordBatchEnumerator(bytes);
        string? error;
        while (batches.TryMoveNext(out error))
        {
            var batch = batches.Current;
            var header = batch.Header;
            if (header.LastOffset < position)
            {
                continue;
            }

            if (Options.CheckCrcs && !batch.CrcMatches)
            {
                throw new KafkaException(ErrorCode.CorruptMessage, $"CRC mismatch in batch at offset {header.BaseOffset} of {topic}-{partition}.");
            }

            if (!header.IsControl)
            {
                var iterator = batch.GetRecords(_scratch);
                while (iterator.MoveNext())
                {
                    var record = iterator.Current;
                    if (record.Offset >= position)
                    {
                        handler(topic, partition, record);
                        count++;
                    }
                }
            }

            position = header.LastOffset + 1;
            _positions[(topic, partition)] = position;
        }

        if (batches.Position == 0 && bytes.Length > 0 && count == 0 && error is null)
        {
            // A batch bigger than PartitionMaxBytes: the broker returned a prefix we cannot use.
            throw new KafkaException(ErrorCode.RecordListTooLarge,
                $"A batch of {topic}-{partition} at offset {position} is larger than PartitionMaxBytes ({Options.PartitionMaxBytes}).");
        }

        return error is null ? count : throw new KafkaException(ErrorCode.CorruptMessage, $"{topic}-{partition}: {error}");
    }

    private async Task ResolveSpecsAsync(CancellationToken cancellationToken)
    {
        foreach (var spec in new[] { OffsetSpec.Earliest, OffsetSpec.Latest })
        {
            var unresolved = _positions.Where(kv => kv.Value == spec).Select(kv => new TopicPartition(kv.Key.Topic, kv.Key.Partition)).ToList();
            if (unresolved.Count == 0)
            {
                continue;
            }

            foreach (var result in await _admin.ListOffsetsAsync(unresolved, spec, cancellationToken).ConfigureAwait(false))
            {
                if (result.Error is not null)
                {
                    throw result.Error;
                }

                _positions[(result.Partition.Topic, result.Partition.Partition)] = result.Offset;
            }
        }
    }

    private static ConsumeResult Copy(string topic, int partition, Record record)
    {
        var headers = new List<RecordHeaderEntry>(record.HeaderCount);
        foreach (var h in record.Headers)
        {
            headers.Add(new RecordHeaderEntry(System.Text.Encoding.UTF8.GetString(h.Key), h.ValueIsNull ? null : h.Value.ToArray()));
        }

        return new ConsumeResult(topic, partition, record.Offset, record.Timestamp,
            record.KeyIsNull ? null : record.Key.ToArray(), record.ValueIsNull ? null : record.Value.ToArray(), headers);
    }

    public async ValueTask DisposeAsync()
    {
        _scratch.Dispose();
        await _admin.DisposeAsync().ConfigureAwait(false);
        if (_ownsCluster)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
