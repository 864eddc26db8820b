using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin;
using KafkaOperator.Client.Admin;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Reassignment;

/// <summary>kafkactl run in-process against a cluster of broker processes, with what the reassignment tests check on disk.</summary>
internal sealed class ReassignmentCluster(BrokerCluster cluster, ITestOutputHelper output)
{
    public BrokerCluster Cluster { get; } = cluster;

    public sealed record CtlResult(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public async Task<CtlResult> CtlAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var stderr = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await KafkaCtl.RunAsync([.. args, "-b", Cluster.BootstrapServers], stdout, stderr, null, timeout.Token);
        return new CtlResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a plan in Kafka's format: partition p of <paramref name="topic"/> to <paramref name="replicas"/>(p).</summary>
    public string WritePlan(string name, string topic, int partitions, Func<int, int[]> replicas)
    {
        var plan = new
        {
            version = 1,
            partitions = Enumerable.Range(0, partitions).Select(p => new { topic, partition = p, replicas = replicas(p) }).ToArray(),
        };
        var path = Path.Combine(Cluster.Brokers[0].DataDir, "..", name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(plan));
        return path;
    }

    /// <summary>`reassign status -o json` until every partition of the plan is done (which also removes the throttles).</summary>
    public async Task<JsonElement> WaitDoneAsync(string plan, TimeSpan deadline) =>
        await Eventually.WaitForAsync(output, deadline, async () =>
        {
            var result = await CtlAsync("reassign", "status", "--plan", plan, "-o", "json");
            Assert.True(result.ExitCode == 0, result.ToString());
            return JsonDocument.Parse(result.Out).RootElement.Clone();
        }, s => s.GetProperty("done").GetInt32() == s.GetProperty("total").GetInt32(), $"every partition of {Path.GetFileName(plan)} done");

    /// <summary>Waits until the brokers hold a replica directory of partition p of <paramref name="topic"/> exactly where <paramref name="replicas"/>(p) says.</summary>
    public Task WaitReplicaDirsAsync(string topic, int partitions, Func<int, int[]> replicas, TimeSpan deadline) =>
        Eventually.WaitForAsync(output, deadline, () => Task.FromResult(ReplicaDirs(topic, partitions)),
            dirs => Enumerable.Range(0, partitions).All(p => dirs[p].SequenceEqual(replicas(p).Order())),
            $"replica directories of {topic} where the plan puts them");

    /// <summary>Per partition, the brokers with a live (not renamed for deletion) directory for it.</summary>
    public int[][] ReplicaDirs(string topic, int partitions) =>
        [.. Enumerable.Range(0, partitions).Select(p => Cluster.Brokers.Select((b, id) => (b, id))
            .Where(x => Directory.Exists(Path.Combine(x.b.DataDir, $"{topic}-{p}"))).Select(x => x.id).Order().ToArray())];

    /// <summary>Bytes of the segment files of one replica (index files are preallocated, so they are left out).</summary>
    public long SegmentBytes(int broker, string topic, int partition)
    {
        var dir = Path.Combine(Cluster.Brokers[broker].DataDir, $"{topic}-{partition}");
        try
        {
            return Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles("*.log").Sum(f => f.Length) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static async Task<IReadOnlyList<int>> ReplicasAsync(KafkaAdminClient admin, string topic, int partition) =>
        (await admin.DescribeTopicAsync(topic)).Partitions.Single(p => p.Partition == partition).Replicas;
}
