using System.Buffers;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Network;
using KafkaOperator.Server.Producers;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>
/// What Metadata and DescribeTopicPartitions report for partitions spread over several brokers, some of them fenced,
/// unregistered or without the client's listener: a cluster one process cannot show, so the image is built here.
/// </summary>
public sealed class PartitionStateTests
{
    private const string Listener = "PLAINTEXT";

    private static BrokerInfo Broker(int id, bool fenced = false, string listener = Listener) =>
        new(id, 1, [new BrokerEndpoint(listener, "127.0.0.1", 9092 + id)], null, fenced);

    private static MetadataImage Image(IEnumerable<BrokerInfo> brokers, params TopicMetadata[] topics) =>
        new(topics.ToDictionary(t => t.Name), topics.ToDictionary(t => t.TopicId), new Dictionary<string, string>(), 0, brokers.ToDictionary(b => b.Id), 0);

    private static readonly BrokerInfo[] FiveBrokers = [Broker(0), Broker(1), Broker(2, fenced: true), Broker(4, listener: "INTERNAL")];

    [Fact]
    public void Replicas_on_fenced_unregistered_or_listener_less_brokers_are_offline()
    {
        var image = Image(FiveBrokers);
        var state = PartitionState.Of(image, 0, Listener, new PartitionMetadata(0, 1, 7, [0, 1, 2, 3, 4], [0, 1, 2]), localLogOffline: false);
        Assert.Equal(1, state.Leader);
        Assert.Equal(7, state.LeaderEpoch);
        Assert.Equal([0, 1, 2, 3, 4], state.Replicas);
        Assert.Equal([0, 1, 2], state.Isr);
        Assert.Equal([2, 3, 4], state.OfflineReplicas);
    }

    [Theory]
    [InlineData(2, 2)] // fenced but registered: Kafka still names it (the controller moves leadership off it)
    [InlineData(3, -1)] // not registered
    [InlineData(4, -1)] // registered without the client's listener
    [InlineData(-1, -1)]
    public void The_leader_is_reported_only_while_its_broker_is_registered_with_the_listener(int leader, int reported)
    {
        var state = PartitionState.Of(Image(FiveBrokers), 0, Listener, new PartitionMetadata(0, leader, 3, [leader, 0], [leader, 0]), localLogOffline: false);
        Assert.Equal(reported, state.Leader);
    }

    [Fact]
    public void This_nodes_offline_log_takes_its_replica_out_of_the_leader_and_the_isr()
    {
        var image = Image(FiveBrokers);
        var led = PartitionState.Of(image, 0, Listener, new PartitionMetadata(0, 0, 4, [0, 1], [0, 1]), localLogOffline: true);
        Assert.Equal((-1, 4), (led.Leader, led.LeaderEpoch));
        Assert.Equal([1], led.Isr);
        Assert.Equal([0], led.OfflineReplicas);

        var followed = PartitionState.Of(image, 0, Listener, new PartitionMetadata(0, 1, 4, [1, 0], [1, 0]), localLogOffline: true);
        Assert.Equal(1, followed.Leader);
        Assert.Equal([1], followed.Isr);
        Assert.Equal([0], followed.OfflineReplicas);
    }

    [Fact]
    public void Before_any_broker_registered_even_this_nodes_replica_is_offline()
    {
        // A single node is a quorum of one that registers itself like any broker: no image is special for it.
        var image = Image([]);
        var own = PartitionState.Of(image, 5, Listener, new PartitionMetadata(0, 5, 0, [5], [5]), localLogOffline: false);
        Assert.Equal(-1, own.Leader);
        Assert.Equal([5], own.OfflineReplicas);
    }

    [Fact]
    public async Task Metadata_and_DescribeTopicPartitions_report_every_partition_of_the_image_alike()
    {
        var topic = new TopicMetadata("spread", Guid.NewGuid(),
        [
            new PartitionMetadata(0, 0, 3, [0, 1, 2], [0, 1]),
            new PartitionMetadata(1, 1, 5, [1, 2, 0], [1, 0]),
            new PartitionMetadata(2, 3, 9, [3, 0], [3]),
            new PartitionMetadata(3, 4, 2, [4, 1], [4, 1]),
        ], new Dictionary<string, string>());
        var store = new ImageMetadataStore(Image(FiveBrokers, topic));
        // A log dir of its own: the broker's log manager scans, locks and writes checkpoints in the dir it is given.
        var logDir = Directory.CreateTempSubdirectory("partition-state-").FullName;
        using var cleanup = new DeleteOnDispose(logDir);
        using var services = new BrokerServices(TestBroker.Config(logDir), store, new ProducerIdManager(store));

        var metadata = await CallAsync<MetadataRequest, MetadataResponse>(new MetadataHandler(services), 12, new MetadataRequest { Topics = null });
        var described = await CallAsync<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>(
            new DescribeTopicPartitionsHandler(services), 0, new DescribeTopicPartitionsRequest { Topics = [new() { Name = "spread" }] });

        var m = Assert.Single(metadata.Topics).Partitions;
        var d = Assert.Single(described.Topics).Partitions;
        Assert.Equal([0, 1, 2, 3], m.Select(p => p.PartitionIndex));
        Assert.Equal([0, 1, 2, 3], d.Select(p => p.PartitionIndex));
        Assert.Equal([0, 1, -1, -1], m.Select(p => p.LeaderId));
        Assert.Equal([3, 5, 9, 2], m.Select(p => p.LeaderEpoch));
        Assert.Equal([0, 0, (short)ErrorCode.LeaderNotAvailable, (short)ErrorCode.LeaderNotAvailable], m.Select(p => p.ErrorCode));
        Assert.Equal(["0,1,2", "1,2,0", "3,0", "4,1"], m.Select(p => string.Join(",", p.ReplicaNodes)));
        Assert.Equal(["0,1", "1,0", "3", "4,1"], m.Select(p => string.Join(",", p.IsrNodes)));
        Assert.Equal(["2", "2", "3", "4"], m.Select(p => string.Join(",", p.OfflineReplicas)));
        // DescribeTopicPartitions has no partition errors; everything else is what Metadata says.
        Assert.All(d, p => Assert.Equal(0, p.ErrorCode));
        Assert.Equal(m.Select(p => (p.LeaderId, p.LeaderEpoch, Str(p.ReplicaNodes), Str(p.IsrNodes), Str(p.OfflineReplicas))),
            d.Select(p => (p.LeaderId, p.LeaderEpoch, Str(p.ReplicaNodes), Str(p.IsrNodes), Str(p.OfflineReplicas))));
    }

    private static string Str(List<int> ids) => string.Join(",", ids);

    private static async Task<TResponse> CallAsync<TRequest, TResponse>(ApiHandler handler, short version, TRequest request)
        where TRequest : class
        where TResponse : class
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        MessageCodec.Write(ref writer, request, version);
        var header = new RequestHeader { RequestApiKey = (short)handler.ApiKey, RequestApiVersion = version };
        var reader = new KafkaReader(buffer.WrittenMemory);
        var work = handler.Start(new RequestContext(header, null, CancellationToken.None), ref reader);
        var response = await work;
        return Assert.IsType<Response<TResponse>>(response).Body;
    }

    private sealed class DeleteOnDispose(string dir) : IDisposable
    {
        public void Dispose() => Directory.Delete(dir, recursive: true);
    }
}
