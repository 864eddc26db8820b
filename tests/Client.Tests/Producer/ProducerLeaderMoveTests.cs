using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Tests.Producer;

/// <summary>
/// What a producer sees while a partition's leader shuts down cleanly (a rolling restart): the old leader refuses
/// with NOT_LEADER_OR_FOLLOWER while some brokers' Metadata still names it, then Metadata drops the fenced broker
/// from the broker list before it names the new leader. As Kafka's producer, every stage is retried (refreshing
/// metadata) until the new leader takes the batch, however many attempts that takes within the delivery timeout.
/// </summary>
public class ProducerLeaderMoveTests
{
    private const string Topic = "t";

    private static ProduceResponse Refuse(ProduceRequest request, ErrorCode error) => new()
    {
        Responses = request.TopicData.Select(t => new ProduceResponse.TopicProduceResponse
        {
            Name = t.Name,
            PartitionResponses = t.PartitionData.Select(p => new ProduceResponse.PartitionProduceResponse { Index = p.Index, ErrorCode = (short)error }).ToList(),
        }).ToList(),
    };

    [Fact]
    public async Task A_controlled_shutdown_of_the_leader_is_ridden_out_and_the_batch_is_written_once_on_the_new_leader()
    {
        await using var fake = new FakeKafka(brokers: 2);
        var log = new FakeLog(fake);
        fake.AddTopic(Topic, 1);
        var gate = new Lock();
        var moving = false;
        var metadataSinceMove = 0;
        var refusedByOldLeader = 0;
        var misrouted = 0;
        fake.Handler = (broker, request) =>
        {
            lock (gate)
            {
                switch (request)
                {
                    case MetadataRequest when moving:
                        // Stale answers first (the old leader still named), then the fenced broker gone from the
                        // broker list while the partition still names it, then the new leader.
                        metadataSinceMove++;
                        if (metadataSinceMove == 4)
                        {
                            fake.Metadata.Brokers.RemoveAll(b => b.NodeId == 1);
                        }
                        else if (metadataSinceMove == 8)
                        {
                            var p = fake.Partition(Topic, 0);
                            p.LeaderId = 2;
                            p.ReplicaNodes = [2];
                            p.IsrNodes = [2];
                        }
                        return null;
                    case ProduceRequest produce when broker == 1 && moving:
                        refusedByOldLeader++;
                        return Refuse(produce, ErrorCode.NotLeaderOrFollower);
                    case ProduceRequest produce when broker != fake.Partition(Topic, 0).LeaderId:
                        misrouted++;
                        return Refuse(produce, ErrorCode.NotLeaderOrFollower);
                    default:
                        return log.Handle(broker, request);
                }
            }
        };
        // Three retries for other requests: the producer's own budget (Kafka's retries, unbounded) must not use it.
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions(maxRetries: 3));
        await using var producer = await KafkaProducer.CreateAsync(cluster, new KafkaProducerOptions { EnableIdempotence = true, Linger = TimeSpan.Zero });
        var before = await producer.ProduceAsync(Topic, 0, null, [0]).WaitAsync(TimeSpan.FromSeconds(10));

        lock (gate)
        {
            moving = true;
        }

        var during = await producer.ProduceAsync(Topic, 0, null, [1]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, before.Offset);
        Assert.Equal(1, during.Offset);
        Assert.True(refusedByOldLeader >= 1);
        Assert.Equal(0, misrouted);
        Assert.True(metadataSinceMove >= 8, $"only {metadataSinceMove} metadata requests: the new leader was never learnt");
        var batches = log.Batches(Topic, 0).Select(b => RecordBatchHeader.Read(b)).ToList();
        Assert.Equal([0, 1], batches.Select(b => b.BaseSequence));
    }

    [Fact]
    public async Task A_partition_whose_leader_never_comes_back_fails_once_the_delivery_timeout_has_passed()
    {
        await using var fake = new FakeKafka(brokers: 2);
        var log = new FakeLog(fake);
        fake.AddTopic(Topic, 1);
        fake.Handler = (broker, request) => request is ProduceRequest produce ? Refuse(produce, ErrorCode.NotLeaderOrFollower) : log.Handle(broker, request);
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions(maxRetries: 3));
        await using var producer = await KafkaProducer.CreateAsync(cluster, new KafkaProducerOptions
        {
            Linger = TimeSpan.Zero,
            DeliveryTimeout = TimeSpan.FromMilliseconds(300),
        });

        var failed = await Assert.ThrowsAsync<KafkaException>(() => producer.ProduceAsync(Topic, 0, null, [1]).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorCode.NotLeaderOrFollower, failed.Code);
        Assert.Empty(log.Batches(Topic, 0));
    }
}
