using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Metrics;

public sealed partial class BrokerMetricsTests
{
    /// <summary>
    /// A topic whose two partitions live (RF 1) on the two brokers that are not the group's coordinator: the
    /// coordinator reports their lag from what their leaders answer, and follows new records.
    /// </summary>
    private async Task CheckLagOfPartitionsLedElsewhereAsync(BrokerCluster cluster, KafkaAdminClient admin, KafkaCluster client, int coordinator)
    {
        const string Topic = "elsewhere";
        const string Group = "metered-group";
        var others = Enumerable.Range(0, cluster.Brokers.Count).Where(id => id != coordinator).ToArray();
        var assignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [others[0]], [1] = [others[1]] };
        (await admin.CreateTopicsAsync([new NewTopic(Topic) { ReplicaAssignment = assignment }])).ThrowIfAnyFailed();
        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            for (var i = 0; i < 7; i++)
                await producer.ProduceAsync(Topic, 0, null, Encoding.UTF8.GetBytes($"p0-{i}"));
            for (var i = 0; i < 3; i++)
                await producer.ProduceAsync(Topic, 1, null, Encoding.UTF8.GetBytes($"p1-{i}"));
        }
        var committed = await admin.AlterGroupOffsetsAsync(Group, new Dictionary<TopicPartition, long>
        {
            [new TopicPartition(Topic, 0)] = 2,
            [new TopicPartition(Topic, 1)] = 0,
        });
        Assert.All(committed, c => Assert.Null(c.Error));
        Assert.Equal(coordinator, (await admin.FindCoordinatorAsync(Group)).NodeId);
        Assert.DoesNotContain(coordinator, (await admin.DescribeTopicAsync(Topic)).Partitions.SelectMany(p => p.Replicas));

        await WaitAsync("lag of partitions led elsewhere, from the group's coordinator", () => LagIsAsync(cluster, coordinator, Topic, Group, 5, 3));

        // More records on partition 0: the coordinator's next refresh follows its leader's high watermark.
        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            for (var i = 0; i < 4; i++)
                await producer.ProduceAsync(Topic, 0, null, Encoding.UTF8.GetBytes($"p0-more-{i}"));
        }
        await WaitAsync("the lag after more records", () => LagIsAsync(cluster, coordinator, Topic, Group, 9, 3));

        // Gone again, so that the broker-down part finds only RF 3 topics (an RF 1 partition would go offline).
        (await admin.DeleteTopicsAsync([Topic])).ThrowIfAnyFailed();
        await WaitAsync("the topic deleted", async () => (await admin.DescribeAllTopicsAsync()).All(t => t.Name != Topic));
    }

    private async Task<bool> LagIsAsync(BrokerCluster cluster, int coordinator, string topic, string group, long lag0, long lag1)
    {
        var scrapes = await ScrapeAllAsync(cluster);
        var c = scrapes[coordinator];
        (string, string)[] Labels(int partition) => [("consumergroup", group), ("partition", partition.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("topic", topic)];
        var lags = (c.Value("kafka_consumergroup_lag", Labels(0)), c.Value("kafka_consumergroup_lag", Labels(1)));
        output.WriteLine($"coordinator {coordinator}: lag of {topic}-0 {lags.Item1}, {topic}-1 {lags.Item2}");
        return lags.Item1 == lag0 && lags.Item2 == lag1
            && c.Value("kafka_consumergroup_current_offset", Labels(0)) == 2
            && c.Value("kafka_consumergroup_current_offset", Labels(1)) == 0
            && c.Value("kafka_consumergroup_lag_sum", ("consumergroup", group), ("topic", topic)) == lag0 + lag1
            && scrapes.Where((_, id) => id != coordinator).All(s => !s.Series("kafka_consumergroup_lag").Any(x => x.Labels["topic"] == topic));
    }
}
