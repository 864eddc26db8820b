using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>One in-process broker (ephemeral port, temp log dir) shared by the end-to-end tests; each test uses its own topics and groups.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ko-admin-tests", Guid.NewGuid().ToString("N"));
    private BrokerHost? _host;

    public string Bootstrap => $"127.0.0.1:{Host.Port}";

    public BrokerHost Host => _host ?? throw new InvalidOperationException("The broker is not started.");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _host = await BrokerHost.StartAsync(BrokerConfig.Create(new Dictionary<string, string>
        {
            ["node.id"] = "0",
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["metrics.port"] = "-1",
            ["log.dirs"] = _dir,
            ["num.partitions"] = "1",
            ["offsets.topic.num.partitions"] = "1",
            ["group.initial.rebalance.delay.ms"] = "0",
        }));
    }

    public Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(Bootstrap, args);

    public KafkaClientOptions ClientOptions() => new() { BootstrapServers = [Bootstrap], ClientId = "admin-tests" };

    /// <summary>
    /// Appends <paramref name="count"/> records to one partition with a plain Produce request (acks=-1) and returns
    /// the log end offset after them. Raw on purpose: the tool under test must see what any producer would leave.
    /// </summary>
    public async Task<long> ProduceAsync(string topic, int partition, int count)
    {
        await using var cluster = await KafkaCluster.ConnectAsync(ClientOptions());
        using var batch = new RecordBatchBuilder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            batch.Add(now, null, [(byte)i]);
        }

        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 10_000,
            TopicData =
            [
                new ProduceRequest.TopicProduceData
                {
                    Name = topic,
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = new MemoryRecordSet(batch.ToArray()) }],
                },
            ],
        };
        var connection = await cluster.GetLeaderConnectionAsync(topic, partition);
        var response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request);
        var result = response.Responses.Single().PartitionResponses.Single();
        KafkaException.ThrowIfError(result.ErrorCode, result.ErrorMessage);
        return result.BaseOffset + count;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
