using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Tests;

/// <summary>
/// Partition logs for <see cref="FakeKafka"/>: Produce appends the request's batches (offsets assigned as a broker
/// does), Fetch returns whole batches from the one holding the fetch offset, InitProducerId hands out id 42.
/// </summary>
public sealed class FakeLog(FakeKafka fake)
{
    private readonly Dictionary<(string Topic, int Partition), List<byte[]>> _batches = [];
    private readonly Dictionary<(string Topic, int Partition), long> _next = [];

    public List<ProduceRequest> ProduceRequests { get; } = [];

    /// <summary>Partitions whose next produce fails once with this error.</summary>
    public Dictionary<(string Topic, int Partition), ErrorCode> FailNextProduce { get; } = [];

    public IReadOnlyList<byte[]> Batches(string topic, int partition)
    {
        lock (_batches)
        {
            return _batches.TryGetValue((topic, partition), out var list) ? [.. list] : [];
        }
    }

    public object? Handle(int brokerId, object request)
    {
        lock (_batches)
        {
            return request switch
            {
                ProduceRequest produce => Produce(produce),
                FetchRequest fetch => Fetch(fetch),
                InitProducerIdRequest => new InitProducerIdResponse { ProducerId = 42, ProducerEpoch = 0 },
                ListOffsetsRequest list => ListOffsets(list),
                _ => null,
            };
        }
    }

    private object Produce(ProduceRequest request)
    {
        ProduceRequests.Add(request);
        var response = new ProduceResponse();
        foreach (var topic in request.TopicData)
        {
            var result = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            foreach (var partition in topic.PartitionData)
            {
                var key = (topic.Name, partition.Index);
                if (FailNextProduce.Remove(key, out var error))
                {
                    result.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse { Index = partition.Index, ErrorCode = (short)error });
                    continue;
                }

                var bytes = ((MemoryRecordSet)partition.Records!).Bytes.ToArray();
                var header = RecordBatchHeader.Read(bytes);
                Assert.True(RecordBatchHeader.CrcMatches(bytes), "producer wrote a batch with a bad CRC");
                var baseOffset = _next.GetValueOrDefault(key);
                RecordBatchHeader.WriteBaseOffset(bytes, baseOffset);
                _next[key] = baseOffset + header.LastOffsetDelta + 1;
                if (!_batches.TryGetValue(key, out var list))
                {
                    _batches[key] = list = [];
                }

                list.Add(bytes);
                result.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse { Index = partition.Index, BaseOffset = baseOffset });
            }

            response.Responses.Add(result);
        }

        return request.Acks == 0 ? NoResponse.Instance : response;
    }

    private FetchResponse Fetch(FetchRequest request)
    {
        var response = new FetchResponse();
        foreach (var topic in request.Topics)
        {
            // Fetch v13+ names topics by id only.
            var name = topic.Topic.Length > 0 ? topic.Topic : fake.Metadata.Topics.Single(t => t.TopicId == topic.TopicId).Name!;
            var result = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            foreach (var p in topic.Partitions)
            {
                var key = (name, p.Partition);
                var end = _next.GetValueOrDefault(key);
                var data = new FetchResponse.PartitionData { PartitionIndex = p.Partition, HighWatermark = end };
                if (p.FetchOffset > end)
                {
                    data.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
                }
                else
                {
                    var selected = (_batches.GetValueOrDefault(key) ?? [])
                        .Where(b => RecordBatchHeader.Read(b).LastOffset >= p.FetchOffset)
                        .SelectMany(b => b).ToArray();
                    data.Records = new MemoryRecordSet(selected);
                }

                result.Partitions.Add(data);
            }

            response.Responses.Add(result);
        }

        return response;
    }

    private ListOffsetsResponse ListOffsets(ListOffsetsRequest request) => new()
    {
        Topics = request.Topics.Select(t => new ListOffsetsResponse.ListOffsetsTopicResponse
        {
            Name = t.Name,
            Partitions = t.Partitions.Select(p => new ListOffsetsResponse.ListOffsetsPartitionResponse
            {
                PartitionIndex = p.PartitionIndex,
                Offset = p.Timestamp == -2 ? 0 : _next.GetValueOrDefault((t.Name, p.PartitionIndex)),
            }).ToList(),
        }).ToList(),
    };
}
