using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class ConfigsTests
{
    private const sbyte Topic = 2;
    private const sbyte Broker = 4;

    private static async Task<DescribeConfigsResponse.DescribeConfigsResult> Describe(RawConnection conn, sbyte type, string name, short version = 4, params string[] keys) =>
        (await conn.RequestAsync<DescribeConfigsRequest, DescribeConfigsResponse>(ApiKey.DescribeConfigs, version, new DescribeConfigsRequest
        {
            IncludeSynonyms = version >= 1,
            Resources = [new() { ResourceType = type, ResourceName = name, ConfigurationKeys = keys.Length == 0 ? null : [.. keys] }],
        })).Results[0];

    private static async Task<short> Incremental(RawConnection conn, sbyte type, string name, params (string Key, sbyte Op, string? Value)[] ops) =>
        (await conn.RequestAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, new IncrementalAlterConfigsRequest
        {
            Resources = [new() { ResourceType = type, ResourceName = name, Configs = [.. ops.Select(o => new IncrementalAlterConfigsRequest.AlterableConfig { Name = o.Key, ConfigOperation = o.Op, Value = o.Value })] }],
        })).Responses[0].ErrorCode;

    [Fact]
    public async Task Topic_configs_report_sources_and_broker_synonyms()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["log.retention.hours"] = "24" });
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [new() { Name = "cfg", NumPartitions = 1, ReplicationFactor = 1, Configs = [new() { Name = "segment.bytes", Value = "1048576" }] }],
        });
        var result = await Describe(conn, Topic, "cfg");
        Assert.Equal(0, result.ErrorCode);
        var segment = result.Configs.Single(c => c.Name == "segment.bytes");
        Assert.Equal("1048576", segment.Value);
        Assert.Equal(1, segment.ConfigSource);
        Assert.Equal("segment.bytes", segment.Synonyms[0].Name);
        Assert.Equal("log.segment.bytes", segment.Synonyms[1].Name);
        var retention = result.Configs.Single(c => c.Name == "retention.ms");
        Assert.Equal("86400000", retention.Value);
        Assert.Equal(4, retention.ConfigSource);
        Assert.Equal(("log.retention.hours", "24", (sbyte)4), (retention.Synonyms[0].Name, retention.Synonyms[0].Value, retention.Synonyms[0].Source));
        Assert.Contains(retention.Synonyms, s => s.Name == "log.retention.hours" && s.Value == "168" && s.Source == 5);
        var cleanup = result.Configs.Single(c => c.Name == "cleanup.policy");
        Assert.Equal("delete", cleanup.Value);
        Assert.Equal(5, cleanup.ConfigSource);

        var v0 = await Describe(conn, Topic, "cfg", 0, "cleanup.policy");
        Assert.True(Assert.Single(v0.Configs).IsDefault);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await Describe(conn, Topic, "missing")).ErrorCode);
    }

    [Fact]
    public async Task Broker_configs_are_described_with_read_only_flags()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["num.partitions"] = "3" });
        using var conn = broker.Connect();
        var result = await Describe(conn, Broker, "0");
        Assert.Equal(0, result.ErrorCode);
        var partitions = result.Configs.Single(c => c.Name == "num.partitions");
        Assert.Equal("3", partitions.Value);
        Assert.Equal(4, partitions.ConfigSource);
        var listeners = result.Configs.Single(c => c.Name == "listeners");
        Assert.True(listeners.ReadOnly);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await Describe(conn, Broker, "7")).ErrorCode);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_set_delete_append_subtract_apply_to_the_live_log()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "inc");
        Assert.Equal(0, await Incremental(conn, Topic, "inc", ("retention.ms", 0, "5000"), ("max.message.bytes", 0, "300")));
        Assert.Equal("5000", (await Describe(conn, Topic, "inc", 4, "retention.ms")).Configs[0].Value);
        Assert.Equal(5000, broker.Host.Services.Replicas.Get("inc", 0)!.Log.Config.RetentionMs);
        var tooBig = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("inc", 0, Batches.Build(40)));
        Assert.Equal((short)ErrorCode.MessageTooLarge, tooBig.Responses[0].PartitionResponses[0].ErrorCode);

        Assert.Equal(0, await Incremental(conn, Topic, "inc", ("cleanup.policy", 2, "compact")));
        Assert.Equal("delete,compact", (await Describe(conn, Topic, "inc", 4, "cleanup.policy")).Configs[0].Value);
        Assert.Equal(0, await Incremental(conn, Topic, "inc", ("cleanup.policy", 3, "delete")));
        Assert.Equal("compact", (await Describe(conn, Topic, "inc", 4, "cleanup.policy")).Configs[0].Value);
        Assert.Equal(0, await Incremental(conn, Topic, "inc", ("retention.ms", 1, null)));
        var retention = (await Describe(conn, Topic, "inc", 4, "retention.ms")).Configs[0];
        Assert.Equal("604800000", retention.Value);
        Assert.Equal(5, retention.ConfigSource);

        Assert.Equal((short)ErrorCode.InvalidConfig, await Incremental(conn, Topic, "inc", ("no.such", 0, "1")));
        Assert.Equal((short)ErrorCode.InvalidConfig, await Incremental(conn, Topic, "inc", ("retention.ms", 0, "soon")));
        Assert.Equal((short)ErrorCode.InvalidConfig, await Incremental(conn, Topic, "inc", ("retention.ms", 2, "1")));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, await Incremental(conn, Topic, "nope", ("retention.ms", 0, "1")));

        // Broker-level dynamic default flows into topics without an override.
        Assert.Equal(0, await Incremental(conn, Broker, "", ("log.retention.ms", 0, "7777")));
        var inherited = (await Describe(conn, Topic, "inc", 4, "retention.ms")).Configs[0];
        Assert.Equal("7777", inherited.Value);
        Assert.Equal(3, inherited.ConfigSource);
        Assert.Equal((short)ErrorCode.InvalidRequest, await Incremental(conn, Broker, "0", ("listeners", 0, "PLAINTEXT://:1")));
    }

    [Fact]
    public async Task AlterConfigs_replaces_the_override_set()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [new() { Name = "alt", NumPartitions = 1, ReplicationFactor = 1, Configs = [new() { Name = "segment.ms", Value = "60000" }] }],
        });
        var r = await conn.RequestAsync<AlterConfigsRequest, AlterConfigsResponse>(ApiKey.AlterConfigs, 2, new AlterConfigsRequest
        {
            Resources = [new() { ResourceType = Topic, ResourceName = "alt", Configs = [new() { Name = "retention.bytes", Value = "1000000" }] }],
        });
        Assert.Equal(0, r.Responses[0].ErrorCode);
        var overrides = broker.Host.Metadata.Image.Topic("alt")!.Configs;
        Assert.Equal("1000000", overrides["retention.bytes"]);
        Assert.False(overrides.ContainsKey("segment.ms"));
        var bad = await conn.RequestAsync<AlterConfigsRequest, AlterConfigsResponse>(ApiKey.AlterConfigs, 0, new AlterConfigsRequest
        {
            Resources = [new() { ResourceType = Topic, ResourceName = "alt", Configs = [new() { Name = "retention.bytes", Value = "x" }] }],
        });
        Assert.Equal((short)ErrorCode.InvalidConfig, bad.Responses[0].ErrorCode);
    }

    [Fact]
    public async Task Broker_resources_keep_unknown_names_and_refuse_only_known_static_keys()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["acme.static.key"] = "s" });
        using var conn = broker.Connect();

        // Kafka accepts names it does not know on a broker (plugins read custom keys) and stores them.
        Assert.Equal(0, await Incremental(conn, Broker, "0", ("acme.reporter.url", 0, "http://x"), ("num.partitions", 0, "4")));
        Assert.Equal(0, await Incremental(conn, Broker, "", ("acme.cluster.key", 0, "c")));
        var legacy = await conn.RequestAsync<AlterConfigsRequest, AlterConfigsResponse>(ApiKey.AlterConfigs, 2, new AlterConfigsRequest
        {
            Resources = [new() { ResourceType = Broker, ResourceName = "", Configs = [new() { Name = "acme.cluster.key", Value = "d" }, new() { Name = "acme.other", Value = "e" }] }],
        });
        Assert.Equal(0, legacy.Responses[0].ErrorCode);
        Assert.Equal("http://x", broker.Host.Services.Config.DynamicBrokerValues["acme.reporter.url"]);
        Assert.Equal("d", broker.Host.Services.Config.DynamicDefaultValues["acme.cluster.key"]);

        // DescribeConfigs shows them as Kafka does: no type, so sensitive (no value) and read-only.
        var described = await Describe(conn, Broker, "0");
        var reporter = described.Configs.Single(c => c.Name == "acme.reporter.url");
        Assert.Equal((null, true, true, (sbyte)0, (sbyte)2), (reporter.Value, reporter.IsSensitive, reporter.ReadOnly, reporter.ConfigType, reporter.ConfigSource));
        Assert.Equal(("acme.reporter.url", (string?)null, (sbyte)2), (reporter.Synonyms[0].Name, reporter.Synonyms[0].Value, reporter.Synonyms[0].Source));
        Assert.Equal(3, described.Configs.Single(c => c.Name == "acme.cluster.key").ConfigSource);
        Assert.Equal(4, described.Configs.Single(c => c.Name == "acme.static.key").ConfigSource);
        Assert.Equal("4", described.Configs.Single(c => c.Name == "num.partitions").Value);
        var defaults = await Describe(conn, Broker, "");
        Assert.Equal(["acme.cluster.key", "acme.other"], defaults.Configs.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal("acme.reporter.url", Assert.Single((await Describe(conn, Broker, "0", 4, "acme.reporter.url")).Configs).Name);

        // Deleting an unknown name works; APPEND needs a list definition, which an unknown name lacks.
        Assert.Equal(0, await Incremental(conn, Broker, "0", ("acme.reporter.url", 1, null)));
        Assert.DoesNotContain("acme.reporter.url", broker.Host.Services.Config.DynamicBrokerValues.Keys);
        Assert.Equal((short)ErrorCode.InvalidConfig, await Incremental(conn, Broker, "0", ("acme.list", 2, "a")));

        // Known keys that cannot change at runtime refuse the change, naming every one; nothing is stored.
        var refused = await conn.RequestAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new()
                {
                    ResourceType = Broker,
                    ResourceName = "0",
                    Configs =
                    [
                        new() { Name = "log.dirs", ConfigOperation = 0, Value = "/x" },
                        new() { Name = "acme.new", ConfigOperation = 0, Value = "1" },
                        new() { Name = "listeners", ConfigOperation = 0, Value = "PLAINTEXT://:1" },
                    ],
                },
            ],
        });
        Assert.Equal((short)ErrorCode.InvalidRequest, refused.Responses[0].ErrorCode);
        Assert.Equal("Cannot update these configs dynamically: Set(listeners, log.dirs)", refused.Responses[0].ErrorMessage);
        Assert.DoesNotContain("acme.new", broker.Host.Services.Config.DynamicBrokerValues.Keys);

        // Topics still refuse names they do not know.
        await Batches.CreateTopicAsync(conn, "known-only", partitions: 4); // num.partitions was set dynamically above
        Assert.Equal((short)ErrorCode.InvalidConfig, await Incremental(conn, Topic, "known-only", ("acme.reporter.url", 0, "x")));

        // Stored in the metadata: kept across a restart.
        await broker.RestartAsync();
        using var again = broker.Connect();
        Assert.Equal("d", broker.Host.Services.Config.DynamicDefaultValues["acme.cluster.key"]);
        Assert.Contains((await Describe(again, Broker, "")).Configs, c => c.Name == "acme.other");
    }
}
