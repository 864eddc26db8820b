using System.Globalization;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Several broker processes that form one cluster: the first <c>voters</c> nodes (all by default) are metadata
/// quorum voters in combined mode (controller.quorum.voters lists them), the rest broker-only nodes
/// (process.roles=broker, observers of the quorum), as the operator configures a KafkaCluster. Ports are fixed before
/// start because each node's config names every voter's CONTROLLER port; restarts reuse them.
/// </summary>
public sealed class BrokerCluster : IAsyncDisposable
{
    private BrokerCluster(IReadOnlyList<BrokerProcess> brokers) => Brokers = brokers;

    public IReadOnlyList<BrokerProcess> Brokers { get; }

    public string BootstrapServers => string.Join(',', Brokers.Where(b => b.IsRunning).Select(b => b.BootstrapServers));

    /// <param name="network">
    /// Runs broker i in host i's namespace of this network, on its own address (ports 9092 and 9093), so that the
    /// test can cut brokers off from each other; null runs every broker on 127.0.0.1 with ephemeral ports.
    /// </param>
    /// <param name="perBroker">Settings for broker i on top of the shared ones (its rack, say).</param>
    public static async Task<BrokerCluster> StartAsync(int count, ITestOutputHelper? output = null, IReadOnlyDictionary<string, string>? overrides = null,
        IsolatedNetwork? network = null, Func<int, IReadOnlyDictionary<string, string>>? perBroker = null, int? voterCount = null)
    {
        var votersCount = voterCount ?? count;
        // One call for both listeners' ports: two calls could hand out the same released port twice.
        var free = network is null ? LoopbackPorts.Free(2 * count) : [];
        var kafkaPorts = network is null ? free[..count] : [.. Enumerable.Repeat(9092, count)];
        var controllerPorts = network is null ? free[count..] : [.. Enumerable.Repeat(9093, count)];
        string HostOf(int i) => network?.Address(i) ?? "127.0.0.1";
        var voters = string.Join(',', Enumerable.Range(0, votersCount).Select(i => $"{i}@{HostOf(i)}:{controllerPorts[i]}"));
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..16];
        var starts = new List<Task<BrokerProcess>>();
        for (var i = 0; i < count; i++)
        {
            var voter = i < votersCount;
            var settings = new Dictionary<string, string>
            {
                ["node.id"] = i.ToString(CultureInfo.InvariantCulture),
                ["process.roles"] = voter ? "broker,controller" : "broker",
                ["cluster.id"] = clusterId,
                ["controller.quorum.voters"] = voters,
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = voter
                    ? $"PLAINTEXT://{HostOf(i)}:{kafkaPorts[i]},CONTROLLER://{HostOf(i)}:{controllerPorts[i]}"
                    : $"PLAINTEXT://{HostOf(i)}:{kafkaPorts[i]}",
                ["advertised.listeners"] = $"PLAINTEXT://{HostOf(i)}:{kafkaPorts[i]}",
            };
            foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
                settings[k] = v;
            foreach (var (k, v) in perBroker?.Invoke(i) ?? new Dictionary<string, string>())
                settings[k] = v;
            starts.Add(BrokerProcess.StartAsync(output, settings, launcher: network?.Launcher(i)));
        }
        try
        {
            // Together: no broker is ready before a quorum of voters has elected a controller.
            return new BrokerCluster(await Task.WhenAll(starts));
        }
        catch
        {
            foreach (var s in starts.Where(t => t.IsCompletedSuccessfully))
                await s.Result.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var b in Brokers)
            await b.DisposeAsync();
    }
}
