using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Tests;

/// <summary>
/// Brokers b1..bN reached over in-memory pipes. Requests are decoded and responses encoded with the real codec;
/// the test supplies the behaviour (<see cref="Handler"/>), by default a Metadata answer from <see cref="Metadata"/>.
/// This tests the client against the protocol spec, not against a hand-written byte stream.
/// </summary>
public sealed class FakeKafka : IAsyncDisposable
{
    private readonly ConcurrentBag<PipeBroker> _connections = [];
    private readonly ConcurrentDictionary<ApiKey, int> _calls = new();

    public FakeKafka(int brokers = 1)
    {
        Metadata = new MetadataResponse { ClusterId = "fake-cluster", ControllerId = 1 };
        for (var id = 1; id <= brokers; id++)
        {
            Metadata.Brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = id, Host = $"b{id}", Port = 9092 });
        }
    }

    /// <summary>What Metadata requests are answered with (topics filtered to the ones requested).</summary>
    public MetadataResponse Metadata { get; set; }

    /// <summary>Answers a decoded request on broker <c>brokerId</c>; return null to fall back to the default behaviour.</summary>
    public Func<int, object, object?>? Handler { get; set; }

    /// <summary>APIs left out of the ApiVersions answer, as an older broker would.</summary>
    public HashSet<ApiKey> HiddenApis { get; } = [];

    /// <summary>The broker's cap on partitions per DescribeTopicPartitions response (max.request.partition.size.limit).</summary>
    public int DescribePartitionLimit { get; set; } = 2000;

    public int Calls(ApiKey key) => _calls.GetValueOrDefault(key);

    public int ConnectionCount => _connections.Count;

    public IEnumerable<PipeBroker> Connections => _connections;

    public KafkaClientOptions ClientOptions(int maxRetries = 3) => new()
    {
        BootstrapServers = ["b1:9092"],
        MaxRetries = maxRetries,
        RetryBackoff = TimeSpan.FromMilliseconds(1),
        MaxRetryBackoff = TimeSpan.FromMilliseconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
        ConnectionFactory = ConnectAsync,
    };

    public void AddTopic(string name, params int[] leaders)
    {
        var topic = new MetadataResponse.MetadataResponseTopic { Name = name, TopicId = Guid.NewGuid() };
        for (var p = 0; p < leaders.Length; p++)
        {
            topic.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p,
                LeaderId = leaders[p],
                ReplicaNodes = [leaders[p]],
                IsrNodes = [leaders[p]],
            });
        }

        Metadata.Topics.Add(topic);
    }

    public MetadataResponse.MetadataResponsePartition Partition(string topic, int partition) =>
        Metadata.Topics.Single(t => t.Name == topic).Partitions.Single(p => p.PartitionIndex == partition);

    private Task<KafkaConnection> ConnectAsync(string host, int port, KafkaConnectionOptions options, CancellationToken ct)
    {
        var brokerId = int.Parse(host.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        if (!Metadata.Brokers.Any(b => b.NodeId == brokerId))
        {
            throw new KafkaConnectionException($"Cannot connect to {host}:{port}: refused");
        }

        var broker = new PipeBroker(request => Task.FromResult(Respond(brokerId, request)))
        {
            IsFlexibleHeader = (key, version) => ApiRegistry.RequestHeaderVersion(key, version) >= 2,
        };
        _connections.Add(broker);
        return KafkaConnection.ConnectAsync(broker.ClientSide, options, $"{host}:{port}", ct);
    }

    private byte[]? Respond(int brokerId, ReceivedRequest request)
    {
        _calls.AddOrUpdate(request.ApiKey, 1, (_, n) => n + 1);
        if (request.ApiKey == ApiKey.ApiVersions)
        {
            return ApiVersionsV0();
        }

        var api = ApiRegistry.Find(request.ApiKey) ?? throw new InvalidOperationException($"No codec for {request.ApiKey}");
        var reader = new KafkaReader(request.Body);
        var body = MessageCodec.Read(api.RequestType, ref reader, request.ApiVersion);
        Assert.True(reader.IsAtEnd, $"{request.ApiKey} v{request.ApiVersion} request has trailing bytes");
        var response = Handler?.Invoke(brokerId, body) ?? Default(body);
        if (response is NoResponse)
        {
            return null;
        }

        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write<object>(ref writer, response, request.ApiVersion);
        return output.WrittenSpan.ToArray();
    }

    private object Default(object request) => request switch
    {
        MetadataRequest m => new MetadataResponse
        {
            ClusterId = Metadata.ClusterId,
            ControllerId = Metadata.ControllerId,
            Brokers = Metadata.Brokers,
            Topics = m.Topics is null
                ? Metadata.Topics
                : m.Topics.Select(t => Metadata.Topics.FirstOrDefault(x => x.Name == t.Name)
                    ?? new MetadataResponse.MetadataResponseTopic { Name = t.Name, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition }).ToList(),
        },
        DescribeTopicPartitionsRequest d => DescribeTopicPartitions(d),
        _ => throw new InvalidOperationException($"The test has no answer for {request.GetType().Name}."),
    };

    /// <summary>DescribeTopicPartitions from <see cref="Metadata"/>, paginated as Kafka does (topics in name order).</summary>
    private DescribeTopicPartitionsResponse DescribeTopicPartitions(DescribeTopicPartitionsRequest request)
    {
        var names = (request.Topics.Count == 0 ? Metadata.Topics.Select(t => t.Name!) : request.Topics.Select(t => t.Name))
            .Where(n => string.CompareOrdinal(n, request.Cursor?.TopicName ?? "") >= 0)
            .Distinct()
            .Order(StringComparer.Ordinal);
        var response = new DescribeTopicPartitionsResponse();
        var remaining = Math.Min(request.ResponsePartitionLimit, DescribePartitionLimit);
        foreach (var name in names)
        {
            if (remaining == 0)
            {
                response.NextCursor = new DescribeTopicPartitionsCursor { TopicName = name };
                break;
            }

            var topic = Metadata.Topics.FirstOrDefault(t => t.Name == name);
            if (topic is null)
            {
                response.Topics.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic { Name = name, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition });
                continue;
            }

            var first = name == request.Cursor?.TopicName ? request.Cursor.PartitionIndex : 0;
            var partitions = topic.Partitions.OrderBy(p => p.PartitionIndex).Skip(first).Take(remaining).ToList();
            response.Topics.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic
            {
                Name = name,
                TopicId = topic.TopicId,
                IsInternal = topic.IsInternal,
                Partitions = [.. partitions.Select(p => new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    LeaderId = p.LeaderId,
                    LeaderEpoch = p.LeaderEpoch,
                    ReplicaNodes = p.ReplicaNodes,
                    IsrNodes = p.IsrNodes,
                    OfflineReplicas = p.OfflineReplicas,
                })],
            });
            if (first + partitions.Count < topic.Partitions.Count)
            {
                response.NextCursor = new DescribeTopicPartitionsCursor { TopicName = name, PartitionIndex = first + partitions.Count };
                break;
            }

            remaining -= partitions.Count;
        }

        return response;
    }

    private byte[] ApiVersionsV0()
    {
        var apis = ApiRegistry.All.Where(a => !HiddenApis.Contains(a.ApiKey)).ToList();
        var body = new byte[6 + (apis.Count * 6)];
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(2), apis.Count);
        for (var i = 0; i < apis.Count; i++)
        {
            var span = body.AsSpan(6 + (i * 6));
            BinaryPrimitives.WriteInt16BigEndian(span, (short)apis[i].ApiKey);
            BinaryPrimitives.WriteInt16BigEndian(span[2..], apis[i].MinVersion);
            BinaryPrimitives.WriteInt16BigEndian(span[4..], apis[i].MaxVersion);
        }

        return body;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>Returned by a handler to send no response (Produce with acks=0).</summary>
public sealed class NoResponse
{
    public static readonly NoResponse Instance = new();
}
