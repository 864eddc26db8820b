using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Several broker processes that form one cluster in combined mode: every broker is also a metadata quorum voter
/// (controller.quorum.voters lists them all), as the operator configures a KafkaCluster. Ports are fixed before
/// start because each broker's config names every voter's CONTROLLER port; restarts reuse them.
/// </summary>
public sealed class BrokerCluster : IAsyncDisposable
{
    private BrokerCluster(IReadOnlyList<BrokerProcess> brokers) => Brokers = brokers;

    public IReadOnlyList<BrokerProcess> Brokers { get; }

    public string BootstrapServers => string.Join(',', Brokers.Where(b => b.IsRunning).Select(b => b.BootstrapServers));

    public static async Task<BrokerCluster> StartAsync(int count, ITestOutputHelper? output = null, IReadOnlyDictionary<string, string>? overrides = null,
        Func<int, IReadOnlyDictionary<string, string>>? perBroker = null)
    {
        var kafkaPorts = FreePorts(count);
        var controllerPorts = FreePorts(count);
        var voters = string.Join(',', Enumerable.Range(0, count).Select(i => $"{i}@127.0.0.1:{controllerPorts[i]}"));
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..16];
        var starts = new List<Task<BrokerProcess>>();
        for (var i = 0; i < count; i++)
        {
            var settings = new Dictionary<string, string>
            {
                ["node.id"] = i.ToString(CultureInfo.InvariantCulture),
                ["process.roles"] = "broker,controller",
                ["cluster.id"] = clusterId,
                ["controller.quorum.voters"] = voters,
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]},CONTROLLER://127.0.0.1:{controllerPorts[i]}",
                ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]}",
            };
            foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
                settings[k] = v;
            foreach (var (k, v) in perBroker?.Invoke(i) ?? new Dictionary<string, string>())
                settings[k] = v;
            starts.Add(BrokerProcess.StartAsync(output, settings));
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

    internal static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners)
                l.Stop();
        }
    }
}
