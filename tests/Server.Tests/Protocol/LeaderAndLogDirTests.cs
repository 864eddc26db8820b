using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>ElectLeaders and DescribeLogDirs over the wire, on a single node (every version).</summary>
public sealed class LeaderAndLogDirTests
{
    private static async Task CreateAsync(RawConnection conn, string topic, int partitions)
    {
        var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [new() { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }],
        });
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task DescribeLogDirs_reports_each_replica_size_and_no_lag_at_every_version()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await CreateAsync(conn, "sized", 2);
        await CreateAsync(conn, "other", 1);
        var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("sized", 1, Batches.Build(5)));
        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        var size = new FileInfo(Directory.GetFiles(Path.Combine(broker.Dir, "sized-1"), "*.log").Single()).Length;
        Assert.True(size > 0);

        foreach (short v in new short[] { 1, 2, 3, 4 })
        {
            var all = await conn.RequestAsync<DescribeLogDirsRequest, DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, v, new DescribeLogDirsRequest { Topics = null });
            var dir = Assert.Single(all.Results);
            Assert.Equal(0, dir.ErrorCode);
            Assert.Equal(Path.GetFullPath(broker.Dir), dir.LogDir);
            var sized = dir.Topics.Single(t => t.Name == "sized");
            Assert.Equal([0, 1], sized.Partitions.Select(p => p.PartitionIndex));
            Assert.Equal([0, size], sized.Partitions.Select(p => p.PartitionSize));
            Assert.All(sized.Partitions, p => Assert.Equal((0L, false), (p.OffsetLag, p.IsFutureKey)));
            Assert.Contains(dir.Topics, t => t.Name == "other");
            if (v >= 4)
                Assert.True(dir.TotalBytes > 0 && dir.UsableBytes > 0 && dir.UsableBytes <= dir.TotalBytes, $"{dir.TotalBytes} / {dir.UsableBytes}");
            else
                Assert.Equal((-1L, -1L), (dir.TotalBytes, dir.UsableBytes));

            // Named partitions: only those the broker holds.
            var some = await conn.RequestAsync<DescribeLogDirsRequest, DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, v, new DescribeLogDirsRequest
            {
                Topics = [new() { Topic = "sized", Partitions = [1, 7] }, new() { Topic = "missing", Partitions = [0] }],
            });
            var topic = Assert.Single(Assert.Single(some.Results).Topics);
            Assert.Equal("sized", topic.Name);
            Assert.Equal(1, Assert.Single(topic.Partitions).PartitionIndex);
        }
    }

    [Fact]
    public async Task ElectLeaders_on_a_single_node_has_nothing_to_elect_and_refuses_what_does_not_exist()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await CreateAsync(conn, "led", 2);
        foreach (short v in new short[] { 0, 1, 2 })
        {
            foreach (sbyte type in v == 0 ? new sbyte[] { 0 } : [0, 1])
            {
                var r = await conn.RequestAsync<ElectLeadersRequest, ElectLeadersResponse>(ApiKey.ElectLeaders, v, new ElectLeadersRequest
                {
                    ElectionType = type,
                    TopicPartitions = [new() { Topic = "led", PartitionId = [0, 1, 2] }, new() { Topic = "missing", PartitionId = [0] }],
                });
                Assert.Equal(0, r.ErrorCode);
                Assert.Equal(["led", "missing"], r.ReplicaElectionResults.Select(t => t.Topic));
                Assert.Equal(
                    [(0, ErrorCode.ElectionNotNeeded), (1, ErrorCode.ElectionNotNeeded), (2, ErrorCode.UnknownTopicOrPartition)],
                    r.ReplicaElectionResults[0].PartitionResult.Select(p => (p.PartitionId, (ErrorCode)p.ErrorCode)));
                Assert.Equal("No such partition as led-2", r.ReplicaElectionResults[0].PartitionResult[2].ErrorMessage);
                Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(r.ReplicaElectionResults[1].PartitionResult).ErrorCode);

                // Every partition: those that need no election are left out.
                var all = await conn.RequestAsync<ElectLeadersRequest, ElectLeadersResponse>(ApiKey.ElectLeaders, v, new ElectLeadersRequest { ElectionType = type, TopicPartitions = null });
                Assert.Empty(all.ReplicaElectionResults);
            }
        }

        var bad = await conn.RequestAsync<ElectLeadersRequest, ElectLeadersResponse>(ApiKey.ElectLeaders, 2, new ElectLeadersRequest
        {
            ElectionType = 7,
            TopicPartitions = [new() { Topic = "led", PartitionId = [0] }],
        });
        Assert.Equal((short)ErrorCode.InvalidRequest, bad.ErrorCode);
    }
}
