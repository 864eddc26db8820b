using System.Net.Sockets;
using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>
/// Every broker's /metrics scraped while a 3-broker cluster runs, checked against what the admin API says: replica
/// and leader counts, the one active controller, records and bytes in after a known produce, consumer lag (log end
/// minus committed, by the group's coordinator only, also for partitions it holds no replica of), and under-replicated partitions while a broker is down; and
/// the same cluster through a real Prometheus against config/monitoring's alerts and dashboard (the .Prometheus part).
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed partial class BrokerMetricsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        ["replica.lag.time.max.ms"] = "3000",
        ["offsets.topic.num.partitions"] = "3",
        ["group.initial.rebalance.delay.ms"] = "0",
        // Two scrapers: the test's own and Prometheus's every second, whose abandoned (timed-out) scrapes hold a slot
        // until the broker has answered them; the default 4 resets some of them on a loaded machine.
        ["metrics.max.connections"] = "16",
        ["metrics.lag.refresh.ms"] = "500",
    };

    [Fact]
    public async Task Scrapes_of_every_broker_agree_with_the_admin_api()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        await using var prometheus = await StartPrometheusAsync(cluster, output);
        const string Topic = "metered";
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        (await admin.CreateTopicsAsync([new NewTopic(Topic, 6, 3)])).ThrowIfAnyFailed();

        // Replica and leader counts per broker, and one active controller: the one DescribeCluster names.
        await WaitAsync("replica and leader counts matching the topic descriptions", async () =>
        {
            var topics = await admin.DescribeAllTopicsAsync(includeInternal: true);
            var partitions = topics.SelectMany(t => t.Partitions).ToList();
            var controller = (await admin.DescribeClusterAsync()).ControllerId;
            var scrapes = await ScrapeAllAsync(cluster);
            for (var id = 0; id < 3; id++)
            {
                var s = scrapes[id];
                if (s.Value("kafka_server_replicamanager_partitioncount") != partitions.Count(p => p.Replicas.Contains(id))
                    || s.Value("kafka_server_replicamanager_leadercount") != partitions.Count(p => p.LeaderId == id)
                    || s.Value("kafka_controller_kafkacontroller_activecontrollercount") != (id == controller ? 1 : 0)
                    || s.Value("kafka_server_kafkaserver_brokerstate") != 3
                    || s.Value("kafka_server_raftmetrics_current_leader") != controller)
                    return false;
            }
            var active = scrapes[controller];
            return active.Value("kafka_controller_kafkacontroller_globaltopiccount") == topics.Count
                && active.Value("kafka_controller_kafkacontroller_globalpartitioncount") == partitions.Count
                && active.Value("kafka_controller_kafkacontroller_offlinepartitionscount") == 0
                && scrapes.Sum(s => s.Value("kafka_controller_kafkacontroller_globaltopiccount")) == topics.Count
                && scrapes.Sum(s => s.Value("kafka_server_replicamanager_underreplicatedpartitions")) == 0;
        });

        // A known produce: 10 records to partition 0. Batches are stored as received, so the bytes in equal the
        // leader's log size for that partition.
        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(Topic, 0, null, Encoding.UTF8.GetBytes($"record-{i}"));
        }
        var leader = (await admin.DescribeTopicAsync(Topic)).Partitions.Single(p => p.Partition == 0).LeaderId;
        var (inScrapes, _) = await WaitAsync("messages and bytes in", async () =>
        {
            var scrapes = await ScrapeAllAsync(cluster);
            return (scrapes, scrapes.Sum(s => s.Value("kafka_server_brokertopicmetrics_messagesin_total", ("topic", Topic)) ?? 0) == 10);
        });
        var leaderScrape = inScrapes[leader];
        Assert.Equal(10, leaderScrape.Value("kafka_server_brokertopicmetrics_messagesin_total", ("topic", Topic)));
        Assert.True(leaderScrape.Value("kafka_server_brokertopicmetrics_messagesin_total") >= 10); // all topics
        var logSize = leaderScrape.Value("kafka_log_log_size", ("partition", "0"), ("topic", Topic));
        Assert.True(logSize > 10 * "record-0".Length, $"log size {logSize}");
        Assert.Equal(logSize, leaderScrape.Value("kafka_server_brokertopicmetrics_bytesin_total", ("topic", Topic)));
        Assert.Equal(10, leaderScrape.Value("kafka_partition_current_offset", ("partition", "0"), ("topic", Topic)));
        Assert.Equal(0, inScrapes.Where((_, id) => id != leader).Sum(s => s.Value("kafka_server_brokertopicmetrics_bytesin_total", ("topic", Topic)) ?? 0));
        Assert.Equal(1, inScrapes.Sum(s => s.Series("kafka_partition_current_offset").Count(x => x.Labels["topic"] == Topic && x.Labels["partition"] == "0")));

        // Lag = log end - committed, reported once, by the group's coordinator.
        var tp = new TopicPartition(Topic, 0);
        var committed = await admin.AlterGroupOffsetsAsync("metered-group", new Dictionary<TopicPartition, long> { [tp] = 4 });
        Assert.All(committed, c => Assert.Null(c.Error));
        var end = Assert.Single(await admin.ListOffsetsAsync([tp], -1)).Offset;
        var coordinator = (await admin.FindCoordinatorAsync("metered-group")).NodeId;
        await WaitAsync("the group's lag from its coordinator", async () =>
        {
            var scrapes = await ScrapeAllAsync(cluster);
            var labels = new[] { ("consumergroup", "metered-group"), ("partition", "0"), ("topic", Topic) };
            return scrapes[coordinator].Value("kafka_consumergroup_lag", labels) == end - 4
                && scrapes[coordinator].Value("kafka_consumergroup_current_offset", labels) == 4
                && scrapes[coordinator].Value("kafka_consumergroup_lag_sum", ("consumergroup", "metered-group"), ("topic", Topic)) == end - 4
                && scrapes.Count(s => s.Series("kafka_consumergroup_lag").Any()) == 1;
        });
        await CheckHealthyClusterInPrometheusAsync(prometheus);
        await CheckLagOfPartitionsLedElsewhereAsync(cluster, admin, client, coordinator);

        // A broker down (not the controller): its partitions are under-replicated on the leaders that remain.
        var controllerId = (await admin.DescribeClusterAsync()).ControllerId;
        var victim = Enumerable.Range(0, 3).First(id => id != controllerId && id != 0);
        cluster.Brokers[victim].Kill();
        await WaitAsync("under-replicated partitions matching the ISRs", async () =>
        {
            var partitions = (await admin.DescribeAllTopicsAsync(includeInternal: true)).SelectMany(t => t.Partitions).ToList();
            var under = partitions.Count(p => p.Isr.Count < p.Replicas.Count);
            var live = new List<Scrape>();
            foreach (var b in cluster.Brokers.Where((_, id) => id != victim))
                live.Add(await Scrape.GetAsync(b.MetricsUri));
            var reported = live.Sum(s => s.Value("kafka_server_replicamanager_underreplicatedpartitions"));
            var shrinks = live.Sum(s => s.Value("kafka_server_replicamanager_isrshrinks_total"));
            output.WriteLine($"under-replicated: admin {under}, scraped {reported}; ISR shrinks {shrinks}");
            // Leaders whose partition kept its leader saw the controller shrink the ISR; moved leaderships start anew.
            return under > 0 && under == partitions.Count(p => !p.Isr.Contains(victim))
                && reported == under
                && shrinks > 0
                && live.Sum(s => s.Value("kafka_server_replicamanager_underminisrpartitioncount")) == 0;
        });
        await CheckBrokerDownInPrometheusAsync(prometheus, victim);

        // A controller failover: with the victim back, the active controller is killed; of the two left, exactly
        // one reports itself active, the one DescribeCluster names, and it is a new one.
        await cluster.Brokers[victim].RestartAsync();
        await WaitAsync("the restarted broker back in every ISR", async () =>
            (await admin.DescribeAllTopicsAsync(includeInternal: true)).SelectMany(t => t.Partitions).All(p => p.Isr.Contains(victim)));
        cluster.Brokers[controllerId].Kill();
        await using var survivor = await KafkaAdminClient.ConnectAsync(cluster.Brokers[victim].BootstrapServers);
        await WaitAsync("one active controller among the survivors, a new one", async () =>
        {
            var now = (await survivor.DescribeClusterAsync()).ControllerId;
            var scrapes = new Dictionary<int, Scrape>();
            foreach (var id in Enumerable.Range(0, 3).Where(id => id != controllerId))
                scrapes[id] = await Scrape.GetAsync(cluster.Brokers[id].MetricsUri);
            output.WriteLine($"controller {now}: active counts {string.Join(", ", scrapes.Select(s => $"{s.Key}={s.Value.Value("kafka_controller_kafkacontroller_activecontrollercount")}"))}");
            return now != controllerId && now >= 0
                && scrapes.All(s => s.Value.Value("kafka_controller_kafkacontroller_activecontrollercount") == (s.Key == now ? 1 : 0));
        });
    }

    [Fact]
    public async Task The_endpoint_serves_only_metrics_negotiates_the_format_and_bounds_connections()
    {
        await using var broker = await BrokerProcess.StartAsync(output, new Dictionary<string, string> { ["metrics.max.connections"] = "2" });
        var uri = broker.MetricsUri;

        var text = await Scrape.GetAsync(uri);
        Assert.Equal(200, text.Status);
        Assert.StartsWith("text/plain; version=0.0.4", text.ContentType, StringComparison.Ordinal);
        Assert.Equal(1, text.Value("kafka_controller_kafkacontroller_activecontrollercount"));
        Assert.Contains("# TYPE kafka_server_brokertopicmetrics_messagesin_total counter", text.Body, StringComparison.Ordinal);

        var open = await Scrape.GetAsync(uri, "application/openmetrics-text;version=1.0.0");
        Assert.StartsWith("application/openmetrics-text; version=1.0.0", open.ContentType, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", open.Body, StringComparison.Ordinal);

        // Anything else, an OpenMetrics version it does not know included, gets the text format.
        foreach (var accept in new[] { "application/json", "text/html", "*/*", "application/openmetrics-text;version=9.9" })
        {
            var other = await Scrape.GetAsync(uri, accept);
            Assert.Equal(200, other.Status);
            Assert.StartsWith("text/plain; version=0.0.4", other.ContentType, StringComparison.Ordinal);
        }

        Assert.Equal(404, (await Scrape.GetAsync(new Uri(uri, "/"))).Status);
        Assert.Equal(404, (await Scrape.GetAsync(new Uri(uri, "/metricsx"))).Status);
        Assert.Equal(404, (await Scrape.GetAsync(new Uri(uri, "/metrics/x"))).Status);
        Assert.Equal(405, (await Scrape.GetAsync(uri, method: HttpMethod.Post)).Status);
        Assert.Equal(200, (await Scrape.GetAsync(new Uri(uri, "/metrics?name[]=x"))).Status);
        // The readiness probe: a single node that answers requests is registered, caught up and unfenced.
        using (var http = new HttpClient())
        using (var ready = await http.GetAsync(new Uri(uri, "/ready")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        }

        // Malformed requests get 400 and the connection closed; HEAD gets the headers only.
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(broker.MetricsPort, "GARBAGE\r\n\r\n"u8.ToArray()), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(broker.MetricsPort, "GET metrics HTTP/1.1\r\n\r\n"u8.ToArray()), StringComparison.Ordinal);
        // A head that fills the endpoint's 8 KiB without ending (exactly, so no unread byte turns the close into a reset).
        var oversized = Encoding.ASCII.GetBytes(("GET /metrics HTTP/1.1\r\nX-Filler: " + new string('x', 8192))[..8192]);
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(broker.MetricsPort, oversized), StringComparison.Ordinal);
        var head = await RawExchangeAsync(broker.MetricsPort, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);

        // Connections beyond metrics.max.connections are closed unanswered: two idle ones hold both slots.
        using var idle1 = await ConnectAsync(broker.MetricsPort);
        using var idle2 = await ConnectAsync(broker.MetricsPort);
        await Eventually.WaitForAsync(output, Deadline, async () =>
        {
            try
            {
                using var extra = await ConnectAsync(broker.MetricsPort);
                await extra.SendAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                return await extra.ReceiveAsync(new byte[16]) == 0;
            }
            catch (SocketException)
            {
                return true; // reset
            }
        }, refused => refused, "a connection over the limit refused");

        // The slots come back once the idle ones go; produce is served throughout.
        idle1.Dispose();
        idle2.Dispose();
        await Eventually.WaitForAsync(output, Deadline, async () =>
        {
            try
            {
                return (await Scrape.GetAsync(uri)).Status;
            }
            catch (HttpRequestException)
            {
                return 0;
            }
        }, status => status == 200, "a scrape once the idle connections closed");
        await using (var admin = await KafkaAdminClient.ConnectAsync(broker.BootstrapServers))
            (await admin.CreateTopicsAsync([new NewTopic("flooded", 1, 1)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(broker.BootstrapServers);
        await using var producer = await KafkaProducer.CreateAsync(client);
        var scrapes = Enumerable.Range(0, 50).Select(async _ =>
        {
            try
            {
                return (await Scrape.GetAsync(uri)).Status;
            }
            catch (HttpRequestException)
            {
                return 0;
            }
        }).ToList();
        var delivered = await producer.ProduceAsync("flooded", 0, null, "during the flood"u8.ToArray());
        Assert.Equal(0, delivered.Offset);
        var statuses = await Task.WhenAll(scrapes);
        Assert.All(statuses, s => Assert.Contains(s, new[] { 0, 200 }));
        Assert.Contains(200, statuses);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        return socket;
    }

    /// <summary>Sends raw bytes to the metrics port and reads the whole answer until the endpoint closes.</summary>
    private static async Task<string> RawExchangeAsync(int port, byte[] request)
    {
        using var socket = await ConnectAsync(port);
        await socket.SendAsync(request);
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0)
            answer.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    private static async Task<List<Scrape>> ScrapeAllAsync(BrokerCluster cluster)
    {
        var result = new List<Scrape>();
        foreach (var b in cluster.Brokers)
            result.Add(await Scrape.GetAsync(b.MetricsUri));
        return result;
    }

    private Task<bool> WaitAsync(string what, Func<Task<bool>> check) =>
        Eventually.WaitForAsync(output, Deadline, check, ok => ok, what);

    private async Task<(T Value, bool Ok)> WaitAsync<T>(string what, Func<Task<(T, bool)>> check) =>
        await Eventually.WaitForAsync(output, Deadline, check, r => r.Item2, what);
}
