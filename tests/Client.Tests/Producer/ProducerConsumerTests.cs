using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Tests.Producer;

public class ProducerConsumerTests
{
    private static (FakeKafka Fake, FakeLog Log) Fake(int partitions = 2)
    {
        var fake = new FakeKafka(brokers: 2);
        var log = new FakeLog(fake);
        fake.AddTopic("t", [.. Enumerable.Range(0, partitions).Select(p => (p % 2) + 1)]);
        fake.Handler = log.Handle;
        return (fake, log);
    }

    [Fact]
    public async Task Produced_records_get_consecutive_offsets_and_are_consumed_back_in_order()
    {
        var (fake, log) = Fake();
        await using var _ = fake;
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());
        await using var producer = await KafkaProducer.CreateAsync(cluster, new KafkaProducerOptions { Linger = TimeSpan.FromMilliseconds(2) });

        var sends = Enumerable.Range(0, 100).Select(i => producer.ProduceAsync("t", i % 2,
            Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}"),
            headers: i == 0 ? [new RecordHeaderEntry("h", [1, 2])] : null)).ToArray();
        var results = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), results.Where(r => r.Partition == 0).Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), results.Where(r => r.Partition == 1).Select(r => r.Offset));
        Assert.True(log.Batches("t", 0).Count < 50, "records should be batched, not sent one by one");

        await using var consumer = new KafkaConsumer(cluster);
        consumer.Assign("t", 0, OffsetSpec.Earliest);
        consumer.Assign("t", 1, 10);
        var consumed = new List<ConsumeResult>();
        while (consumed.Count < 90)
        {
            consumed.AddRange(await consumer.FetchAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        var p0 = consumed.Where(r => r.Partition == 0).ToList();
        var p1 = consumed.Where(r => r.Partition == 1).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"v{i * 2}"), p0.Select(r => Encoding.UTF8.GetString(r.Value!)));
        Assert.Equal(Enumerable.Range(10, 40).Select(i => (long)i), p1.Select(r => r.Offset));
        Assert.Equal("k21", Encoding.UTF8.GetString(p1[0].Key!));
        Assert.Equal("h", p0[0].Headers.Single().Key);
        Assert.Equal(50, consumer.HighWatermarks[("t", 0)]);
        Assert.Equal(50, consumer.Positions[("t", 1)]);
        Assert.Empty(await consumer.FetchAsync());
    }

    [Fact]
    public async Task Batches_go_to_the_partition_leaders_with_compression_and_acks()
    {
        var (fake, log) = Fake(partitions: 2);
        await using var _ = fake;
        await using var producer = await KafkaProducer.ConnectAsync(fake.ClientOptions(),
            new KafkaProducerOptions { Acks = 1, Compression = CompressionType.Gzip, Linger = TimeSpan.FromMilliseconds(1) });

        await producer.ProduceAsync("t", 0, null, [1]);
        await producer.ProduceAsync("t", 1, null, [2]);

        Assert.All(log.ProduceRequests, r => Assert.Equal(1, r.Acks));
        var batch = log.Batches("t", 1).Single();
        Assert.Equal(CompressionType.Gzip, RecordBatchHeader.Read(batch).Compression);
        // partition 0 is led by broker 1 and partition 1 by broker 2: both brokers got a connection
        Assert.True(fake.ConnectionCount >= 2);
    }

    [Fact]
    public async Task Fire_and_forget_records_are_sent_by_flush_and_acks_zero_gets_no_offsets()
    {
        var (fake, log) = Fake(partitions: 1);
        await using var _ = fake;
        await using var producer = await KafkaProducer.ConnectAsync(fake.ClientOptions(),
            new KafkaProducerOptions { Acks = 0, Linger = TimeSpan.FromSeconds(30), BatchSize = 1024 });

        for (var i = 0; i < 1000; i++)
        {
            producer.Produce("t", 0, default, keyIsNull: true, "payload-0123456789"u8);
        }

        await producer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var lastTask = producer.ProduceAsync("t", 0, null, [9]);
        await producer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var last = await lastTask;

        Assert.Equal(-1, last.Offset);
        await WaitUntil(() => log.Batches("t", 0).Sum(b => RecordBatchHeader.Read(b).LastOffsetDelta + 1) == 1001);
        Assert.True(log.Batches("t", 0).Count > 10, "BatchSize 1 KiB must split 1000 records into many batches");
    }

    [Fact]
    public async Task Retriable_produce_errors_are_retried_and_fatal_ones_fail_the_records()
    {
        var (fake, log) = Fake(partitions: 2);
        await using var _ = fake;
        await using var producer = await KafkaProducer.ConnectAsync(fake.ClientOptions(),
            new KafkaProducerOptions { Linger = TimeSpan.Zero });
        log.FailNextProduce[("t", 0)] = ErrorCode.NotLeaderOrFollower;
        log.FailNextProduce[("t", 1)] = ErrorCode.MessageTooLarge;

        var retried = await producer.ProduceAsync("t", 0, null, [1]).WaitAsync(TimeSpan.FromSeconds(10));
        var failed = await Assert.ThrowsAsync<KafkaException>(() => producer.ProduceAsync("t", 1, null, [1]).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, retried.Offset);
        Assert.Equal(ErrorCode.MessageTooLarge, failed.Code);
        Assert.True(fake.Calls(ApiKey.Metadata) >= 2, "a NotLeaderOrFollower must refresh metadata");
        producer.Produce("t", 1, default, true, [7]);
        log.FailNextProduce[("t", 1)] = ErrorCode.CorruptMessage;
        var flushError = await Assert.ThrowsAsync<KafkaException>(() => producer.FlushAsync());
        Assert.Equal(ErrorCode.CorruptMessage, flushError.Code);
    }

    [Fact]
    public async Task Idempotent_producer_numbers_batches_per_partition()
    {
        var (fake, log) = Fake(partitions: 1);
        await using var _ = fake;
        await using var producer = await KafkaProducer.ConnectAsync(fake.ClientOptions(),
            new KafkaProducerOptions { EnableIdempotence = true, Linger = TimeSpan.Zero, BatchSize = 1 });

        for (var i = 0; i < 5; i++)
        {
            await producer.ProduceAsync("t", 0, null, [(byte)i]);
        }

        Assert.Equal(42, producer.ProducerId);
        var headers = log.Batches("t", 0).Select(b => RecordBatchHeader.Read(b)).ToList();
        Assert.All(headers, h => Assert.Equal(42, h.ProducerId));
        Assert.Equal([0, 1, 2, 3, 4], headers.Select(h => h.BaseSequence));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            KafkaProducer.CreateAsync(producer.Cluster, new KafkaProducerOptions { EnableIdempotence = true, Acks = 1 }));
    }

    [Fact]
    public void Keyed_partitioning_matches_the_java_murmur2()
    {
        // Expected values computed with kafka-python's murmur2, which mirrors the Java client's Utils.murmur2.
        Assert.Equal(-973932308, KafkaProducer.Murmur2("21"u8));
        Assert.Equal(-790332482, KafkaProducer.Murmur2("foobar"u8));
        Assert.Equal(-985981536, KafkaProducer.Murmur2("a-little-bit-long-string"u8));
        Assert.Equal(-1486304829, KafkaProducer.Murmur2("a-little-bit-longer-string"u8));
        Assert.Equal(-58897971, KafkaProducer.Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"u8));
        Assert.Equal(479470107, KafkaProducer.Murmur2("abc"u8));
    }

    [Fact]
    public async Task Consumer_out_of_range_offset_is_an_error_or_a_reset()
    {
        var (fake, _) = Fake(partitions: 1);
        await using var __ = fake;
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());
        await using var producer = await KafkaProducer.CreateAsync(cluster, new KafkaProducerOptions { Linger = TimeSpan.Zero });
        await producer.ProduceAsync("t", 0, null, [1]);

        await using var strict = new KafkaConsumer(cluster);
        strict.Assign("t", 0, 5);
        var ex = await Assert.ThrowsAsync<KafkaException>(() => strict.FetchAsync());
        Assert.Equal(ErrorCode.OffsetOutOfRange, ex.Code);

        await using var resetting = new KafkaConsumer(cluster, new KafkaConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest });
        resetting.Assign("t", 0, 5);
        Assert.Empty(await resetting.FetchAsync());
        Assert.Equal(0, resetting.Positions[("t", 0)]);
        Assert.Single(await resetting.FetchAsync());
    }

    [Fact]
    public async Task A_leader_missing_from_the_broker_list_is_retried_as_not_available_rather_than_failing_the_fetch()
    {
        // Metadata caught between a broker's fencing (gone from the broker list) and its partitions' new leaders.
        await using var fake = new FakeKafka(brokers: 1);
        fake.AddTopic("t", 2);
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions(maxRetries: 1));
        await using var consumer = new KafkaConsumer(cluster);
        consumer.Assign("t", 0, 0);

        Assert.Empty(await consumer.FetchAsync());
        Assert.Equal(0, consumer.Positions[("t", 0)]);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met within 10 seconds.");
            await Task.Delay(1); // poll interval, not a synchronisation sleep
        }
    }
}
