using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Tests.BrokerTests;

public class ProduceConsumeAgainstBrokerTests
{
    [Theory]
    [InlineData(CompressionType.None, false)]
    [InlineData(CompressionType.Lz4, true)]
    public async Task Records_round_trip_through_the_real_broker(CompressionType compression, bool idempotent)
    {
        await using var broker = await InProcessBroker.StartAsync();
        await using var cluster = await KafkaCluster.ConnectAsync(broker.ClientOptions);
        var admin = new KafkaAdminClient(cluster);
        (await admin.CreateTopicsAsync([new NewTopic("events", 2, 1)])).ThrowIfAnyFailed();

        await using (var producer = await KafkaProducer.CreateAsync(cluster,
            new KafkaProducerOptions { Compression = compression, EnableIdempotence = idempotent, Linger = TimeSpan.FromMilliseconds(2) }))
        {
            var sends = Enumerable.Range(0, 200).Select(i => producer.ProduceAsync("events", i % 2,
                Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"value-{i}"))).ToArray();
            var results = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), results.Where(r => r.Partition == 0).Select(r => r.Offset));
            if (idempotent)
            {
                Assert.True(producer.ProducerId >= 0);
            }
        }

        var latest = await admin.ListTopicOffsetsAsync("events", OffsetSpec.Latest);
        Assert.Equal([100L, 100L], latest.Select(o => o.Offset));
        var earliest = await admin.ListTopicOffsetsAsync("events", OffsetSpec.Earliest);
        Assert.Equal([0L, 0L], earliest.Select(o => o.Offset));

        await using var consumer = new KafkaConsumer(cluster, new KafkaConsumerOptions { MaxWaitMs = 50 });
        await consumer.AssignTopicAsync("events", OffsetSpec.Earliest);
        var consumed = new List<ConsumeResult>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumed.Count < 200 && DateTime.UtcNow < deadline)
        {
            consumed.AddRange(await consumer.FetchAsync());
        }

        Assert.Equal(200, consumed.Count);
        var p1 = consumed.Where(r => r.Partition == 1).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), p1.Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"value-{(i * 2) + 1}"), p1.Select(r => Encoding.UTF8.GetString(r.Value!)));
        Assert.Equal(100, consumer.HighWatermarks[("events", 0)]);

        var trimmed = await admin.DeleteRecordsAsync(new Dictionary<TopicPartition, long> { [new("events", 0)] = 40 });
        Assert.True(trimmed[0].Succeeded, trimmed[0].Error?.Message);
        Assert.Equal(40, trimmed[0].LowWatermark);
        Assert.Equal(40, (await admin.ListOffsetsAsync([new("events", 0)], OffsetSpec.Earliest))[0].Offset);
    }
}
