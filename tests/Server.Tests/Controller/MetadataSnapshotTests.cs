using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class MetadataSnapshotTests
{
    [Fact]
    public void TheImageRoundTripsThroughASnapshot()
    {
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        machine.Apply(new RegisterBrokerRecord(0, [new EndpointRecord("PLAINTEXT", "h0", 9092)], "rack-a"), 3);
        machine.Apply(new RegisterBrokerRecord(1, [new EndpointRecord("PLAINTEXT", "h1", 9092)], null), 4);
        var id = Guid.NewGuid();
        machine.Apply(new CreateTopicRecord("t", id, [[0, 1], [1, 0]], new Dictionary<string, string> { ["retention.ms"] = "1000" }), 5);
        machine.Apply(new PartitionChangeRecord(id, 1, 0, null, [1], Replicas: [1, 0], AddingReplicas: [0]), 6);
        machine.Apply(new BrokerConfigsRecord(new Dictionary<string, string> { ["default:log.retention.ms"] = "5" }), 7);
        machine.Apply(new ProducerIdsRecord(0, 1000), 8);
        machine.Apply(new FenceBrokerRecord(1, 4, ShuttingDown: true), 9);
        var image = machine.ToImage(2);

        var decoded = MetadataSnapshot.Decode(MetadataSnapshot.Encode(image), 7);

        Assert.Equal(7, decoded.ControllerId);
        Assert.Equal(1000, decoded.NextProducerId);
        Assert.Equal(image.BrokerConfigs, decoded.BrokerConfigs);
        Assert.Equal(image.Brokers.Keys.Order(), decoded.Brokers.Keys.Order());
        foreach (var (brokerId, broker) in image.Brokers)
        {
            var other = decoded.Brokers[brokerId];
            Assert.Equal(broker with { Endpoints = other.Endpoints }, other);
            Assert.Equal(broker.Endpoints, other.Endpoints);
        }
        var topic = decoded.Topic("t")!;
        Assert.Same(topic, decoded.Topic(id));
        Assert.Equal(image.Topic("t")!.Configs, topic.Configs);
        for (var p = 0; p < 2; p++)
        {
            var expected = image.Topic("t")!.Partitions[p];
            var actual = topic.Partitions[p];
            Assert.Equal((expected.Leader, expected.LeaderEpoch, expected.PartitionEpoch), (actual.Leader, actual.LeaderEpoch, actual.PartitionEpoch));
            Assert.Equal(expected.Replicas, actual.Replicas);
            Assert.Equal(expected.Isr, actual.Isr);
            Assert.Equal(expected.AddingReplicas, actual.AddingReplicas);
            Assert.Equal(expected.RemovingReplicas, actual.RemovingReplicas);
        }
    }

    [Fact]
    public void APayloadOfAnotherVersionIsRefusedWithTheReason()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MetadataSnapshot.Decode("{\"version\":9,\"nextProducerId\":0,\"brokerConfigs\":{},\"brokers\":[],\"topics\":[]}"u8, -1));
        Assert.Contains("version 9", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => MetadataSnapshot.Decode("{not json"u8, -1));
    }
}
