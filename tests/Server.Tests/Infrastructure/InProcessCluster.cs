using System.Globalization;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Brokers in combined mode (each a metadata quorum voter) as <see cref="BrokerHost"/>s in this process, for tests
/// that need a broker's internals next to its wire protocol: proposing metadata records on the active controller,
/// reading each node's published image. Each has its own temp log dir, deleted on dispose.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly string _root;

    private InProcessCluster(IReadOnlyList<BrokerHost> hosts, string root)
    {
        Hosts = hosts;
        _root = root;
    }

    public IReadOnlyList<BrokerHost> Hosts { get; }

    public static async Task<InProcessCluster> StartAsync(int count, IReadOnlyDictionary<string, string>? overrides = null,
        Func<int, IReadOnlyDictionary<string, string>>? perBroker = null)
    {
        // One call for both listeners' ports: two calls could hand out the same released port twice.
        var free = LoopbackPorts.Free(2 * count);
        var kafkaPorts = free[..count];
        var controllerPorts = free[count..];
        var voters = string.Join(',', Enumerable.Range(0, count).Select(i => $"{i}@127.0.0.1:{controllerPorts[i]}"));
        var root = Path.Combine(Path.GetTempPath(), "ko-server-tests", Guid.NewGuid().ToString("N"));
        var starts = new List<Task<BrokerHost>>();
        for (var i = 0; i < count; i++)
        {
            var settings = new Dictionary<string, string>
            {
                ["node.id"] = i.ToString(CultureInfo.InvariantCulture),
                ["process.roles"] = "broker,controller",
                ["controller.quorum.voters"] = voters,
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]},CONTROLLER://127.0.0.1:{controllerPorts[i]}",
                ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]}",
                ["metrics.port"] = "-1",
                ["log.dirs"] = Path.Combine(root, i.ToString(CultureInfo.InvariantCulture)),
            };
            foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
                settings[k] = v;
            foreach (var (k, v) in perBroker?.Invoke(i) ?? new Dictionary<string, string>())
                settings[k] = v;
            starts.Add(BrokerHost.StartAsync(BrokerConfig.Create(settings)));
        }
        try
        {
            // Together: no broker is ready before a quorum of voters has elected a controller.
            return new InProcessCluster(await Task.WhenAll(starts), root);
        }
        catch
        {
            foreach (var s in starts.Where(t => t.IsCompletedSuccessfully))
                await s.Result.DisposeAsync();
            throw;
        }
    }

    /// <summary>The host that is the active controller right now, or null while there is none.</summary>
    public BrokerHost? Controller => Hosts.FirstOrDefault(h => h.Services.Quorum?.Leader.LeaderId == h.NodeId);

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts)
            await host.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}
