using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>An in-process broker on an ephemeral port with its own temp log dir (deleted on dispose).</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private readonly bool _ownsDir;

    private TestBroker(BrokerHost host, string dir, bool ownsDir)
    {
        Host = host;
        Dir = dir;
        _ownsDir = ownsDir;
    }

    public BrokerHost Host { get; private set; }

    public string Dir { get; }

    public int Port => Host.Port;

    public static Task<TestBroker> StartAsync(IReadOnlyDictionary<string, string>? overrides = null) =>
        StartAsync(NewDir(), ownsDir: true, overrides);

    public static string NewDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ko-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static async Task<TestBroker> StartAsync(string dir, bool ownsDir, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var host = await BrokerHost.StartAsync(Config(dir, overrides));
        return new TestBroker(host, dir, ownsDir);
    }

    public static BrokerConfig Config(string dir, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var props = new Dictionary<string, string>
        {
            ["node.id"] = "0",
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["metrics.port"] = "-1",
            ["log.dirs"] = dir,
        };
        if (overrides is not null)
        {
            foreach (var (k, v) in overrides)
                props[k] = v;
        }
        return BrokerConfig.Create(props);
    }

    /// <summary>Stops the broker and starts a new one on the same data directory.</summary>
    public async Task RestartAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        Host = await BrokerHost.StartAsync(Config(Dir, overrides));
    }

    public RawConnection Connect() => RawConnection.Open(Port);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_ownsDir)
        {
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
}
