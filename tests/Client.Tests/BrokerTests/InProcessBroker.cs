using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Client.Tests.BrokerTests;

/// <summary>The project's broker in-process on an ephemeral port with a temp log dir (deleted on dispose).</summary>
public sealed class InProcessBroker : IAsyncDisposable
{
    private InProcessBroker(BrokerHost host, string dir)
    {
        Host = host;
        Dir = dir;
    }

    public BrokerHost Host { get; }

    public string Dir { get; }

    public string Bootstrap => $"127.0.0.1:{Host.Port}";

    public KafkaClientOptions ClientOptions => new()
    {
        BootstrapServers = [Bootstrap],
        RequestTimeout = TimeSpan.FromSeconds(15),
        RetryBackoff = TimeSpan.FromMilliseconds(20),
    };

    public static async Task<InProcessBroker> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ko-client-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var config = BrokerConfig.Create(new Dictionary<string, string>
        {
            ["node.id"] = "1",
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["metrics.port"] = "-1",
            ["log.dirs"] = dir,
        });
        return new InProcessBroker(await BrokerHost.StartAsync(config), dir);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}
