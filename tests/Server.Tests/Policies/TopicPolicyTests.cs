using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Tests.Protocol;
using ConfigSource = KafkaOperator.Client.Admin.ConfigSource;

namespace KafkaOperator.Server.Tests.Policies;

/// <summary>
/// The built-in kafkaoperator.policy.TopicLimits as create.topic.policy.class.name and
/// alter.config.policy.class.name: rejections are POLICY_VIOLATION with a message naming the limit's broker key,
/// validate-only requests are checked the same way, and rejected requests change nothing.
/// </summary>
public sealed class TopicPolicyTests
{
    private static readonly Dictionary<string, string> Strict = new()
    {
        ["create.topic.policy.class.name"] = "kafkaoperator.policy.TopicLimits",
        ["alter.config.policy.class.name"] = "kafkaoperator.policy.TopicLimits",
        ["policy.topic.max.partitions"] = "6",
        ["policy.topic.min.insync.replicas"] = "2",
        ["policy.topic.forbidden.configs"] = "retention.ms,cleanup.policy",
        ["policy.topic.name.pattern"] = "team-[a-z]+\\..+",
    };

    private static async Task<(TestBroker Broker, KafkaAdminClient Admin)> StartAsync(IReadOnlyDictionary<string, string> overrides)
    {
        var broker = await TestBroker.StartAsync(overrides);
        return (broker, await KafkaAdminClient.ConnectAsync($"127.0.0.1:{broker.Port}"));
    }

    private static KafkaException Violation(KafkaException? error, string key)
    {
        Assert.NotNull(error);
        Assert.Equal(ErrorCode.PolicyViolation, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("kafkaoperator.policy.TopicLimits", error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public async Task CreateTopics_over_the_limits_is_POLICY_VIOLATION_also_when_validate_only()
    {
        var (broker, admin) = await StartAsync(Strict);
        await using var _ = broker;
        await using var __ = admin;

        var tooMany = (await admin.CreateTopicsAsync([new NewTopic("team-a.orders", 7)], validateOnly: true))[0];
        Assert.Contains("would have 7 partitions, more than the 6 allowed", Violation(tooMany.Error, "policy.topic.max.partitions").Message, StringComparison.Ordinal);
        Violation((await admin.CreateTopicAsync("team-a.orders", 7)).Error, "policy.topic.max.partitions");

        var badName = await admin.CreateTopicAsync("orders", 1);
        Assert.Contains("Topic name 'orders' does not match the required pattern team-[a-z]+\\..+", Violation(badName.Error, "policy.topic.name.pattern").Message, StringComparison.Ordinal);

        var forbidden = await admin.CreateTopicAsync("team-a.logs", 1, configs: new Dictionary<string, string?> { ["retention.ms"] = "1000" });
        Assert.Contains("may not set retention.ms", Violation(forbidden.Error, "policy.topic.forbidden.configs").Message, StringComparison.Ordinal);

        var weakIsr = await admin.CreateTopicAsync("team-a.weak", 1, configs: new Dictionary<string, string?> { ["min.insync.replicas"] = "1" });
        Assert.Contains("min.insync.replicas=1 is below the floor of 2", Violation(weakIsr.Error, "policy.topic.min.insync.replicas").Message, StringComparison.Ordinal);

        // A manual assignment is counted like numPartitions.
        var assigned = (await admin.CreateTopicsAsync([new NewTopic("team-a.assigned")
        {
            ReplicaAssignment = Enumerable.Range(0, 8).ToDictionary(p => p, _ => (IReadOnlyList<int>)[0]),
        }]))[0];
        Violation(assigned.Error, "policy.topic.max.partitions");

        // Invalid requests keep their own error: the policy only sees requests that are otherwise valid.
        Assert.Equal(ErrorCode.InvalidConfig, (await admin.CreateTopicAsync("team-a.bad", 1, configs: new Dictionary<string, string?> { ["segment.bytes"] = "x" })).Error?.Code);

        Assert.Empty(broker.Host.Metadata.Image.TopicsByName);

        var ok = await admin.CreateTopicAsync("team-a.orders", 6, configs: new Dictionary<string, string?> { ["min.insync.replicas"] = "2", ["segment.ms"] = "60000" });
        Assert.True(ok.Succeeded, ok.Error?.Message);
        Assert.Equal(6, broker.Host.Metadata.Image.Topic("team-a.orders")!.Partitions.Length);
    }

    [Fact]
    public async Task CreatePartitions_beyond_the_limit_is_POLICY_VIOLATION()
    {
        var (broker, admin) = await StartAsync(Strict);
        await using var _ = broker;
        await using var __ = admin;
        Assert.True((await admin.CreateTopicAsync("team-a.grow", 4)).Succeeded);

        var validateOnly = (await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["team-a.grow"] = 7 }, validateOnly: true))[0];
        Assert.Contains("would grow from 4 to 7 partitions, more than the 6 allowed", Violation(validateOnly.Error, "policy.topic.max.partitions").Message, StringComparison.Ordinal);
        Violation((await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["team-a.grow"] = 7 }))[0].Error, "policy.topic.max.partitions");
        Assert.Equal(4, broker.Host.Metadata.Image.Topic("team-a.grow")!.Partitions.Length);

        Assert.True((await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["team-a.grow"] = 6 }))[0].Succeeded);
        Assert.Equal(6, broker.Host.Metadata.Image.Topic("team-a.grow")!.Partitions.Length);
    }

    [Fact]
    public async Task Altering_forbidden_or_weakening_configs_is_POLICY_VIOLATION_and_changes_nothing()
    {
        var (broker, admin) = await StartAsync(Strict);
        await using var _ = broker;
        await using var __ = admin;
        Assert.True((await admin.CreateTopicAsync("team-a.cfg", 1, configs: new Dictionary<string, string?> { ["min.insync.replicas"] = "3" })).Succeeded);
        var topic = ConfigResource.Topic("team-a.cfg");

        async Task<KafkaException?> Incremental(bool validateOnly, params ConfigAlteration[] changes) =>
            (await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> { [topic] = changes }, validateOnly))[0].Error;

        var set = await Incremental(false, new ConfigAlteration("segment.ms", "60000"), new ConfigAlteration("retention.ms", "1000"));
        Assert.Contains("'team-a.cfg' may not set retention.ms", Violation(set, "policy.topic.forbidden.configs").Message, StringComparison.Ordinal);
        Violation(await Incremental(true, new ConfigAlteration("retention.ms", "1000")), "policy.topic.forbidden.configs");
        Violation(await Incremental(false, new ConfigAlteration("cleanup.policy", "compact", AlterConfigOp.Append)), "policy.topic.forbidden.configs");
        Violation(await Incremental(false, new ConfigAlteration("min.insync.replicas", "1")), "policy.topic.min.insync.replicas");
        Assert.Equal(ErrorCode.InvalidConfig, (await Incremental(false, new ConfigAlteration("min.insync.replicas", "zero")))?.Code);

        // Legacy AlterConfigs replaces the whole set: the same checks apply to what it sets.
        var legacy = (await admin.AlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyDictionary<string, string?>>
        {
            [topic] = new Dictionary<string, string?> { ["min.insync.replicas"] = "3", ["retention.ms"] = "1000" },
        }))[0];
        Violation(legacy.Error, "policy.topic.forbidden.configs");

        var described = await admin.DescribeTopicConfigsAsync("team-a.cfg");
        Assert.Equal(ConfigSource.DefaultConfig, described["retention.ms"]!.Source);
        Assert.Equal("3", described["min.insync.replicas"]!.Value);
        Assert.Equal(ConfigSource.DefaultConfig, described["segment.ms"]!.Source);

        // Allowed changes go through; the existing min.insync.replicas override is untouched, so it is not re-judged.
        Assert.Null(await Incremental(false, new ConfigAlteration("segment.ms", "60000"), new ConfigAlteration("min.insync.replicas", "2")));
        Assert.Null(await Incremental(false, new ConfigAlteration("min.insync.replicas", null, AlterConfigOp.Delete)));
        Assert.Equal("60000", (await admin.DescribeTopicConfigsAsync("team-a.cfg"))["segment.ms"]!.Value);

        // Broker configs: the floor holds for the broker-wide min.insync.replicas too.
        var brokerChange = (await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Broker(0)] = [new ConfigAlteration("min.insync.replicas", "1")],
        }))[0];
        Violation(brokerChange.Error, "policy.topic.min.insync.replicas");
    }

    [Fact]
    public async Task Internal_topics_and_auto_creation_go_through_the_policy_as_Kafka_does()
    {
        var overrides = new Dictionary<string, string>(Strict) { ["policy.topic.min.replication.factor"] = "2" };
        var (broker, admin) = await StartAsync(overrides);
        await using var _ = broker;
        await using var __ = admin;

        // RF 1 (the default) is below the minimum: explicit and auto-creation are refused.
        var rf = await admin.CreateTopicAsync("team-a.rf", 1);
        Assert.Contains("replication factor 1 is below the minimum of 2", Violation(rf.Error, "policy.topic.min.replication.factor").Message, StringComparison.Ordinal);
        using var conn = broker.Connect();
        var metadata = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
            new MetadataRequest { Topics = [new() { Name = "team-a.auto" }], AllowAutoTopicCreation = true });
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, metadata.Topics[0].ErrorCode);
        Assert.Null(broker.Host.Metadata.Image.Topic("team-a.auto"));

        // __consumer_offsets (50 partitions, RF 1, cleanup.policy=compact) is the broker's own: exempt.
        Assert.True(await broker.Host.Services.Groups.EnsureReadyAsync(CancellationToken.None));
        Assert.Equal(50, broker.Host.Metadata.Image.Topic("__consumer_offsets")!.Partitions.Length);
    }

    [Fact]
    public async Task Only_the_configured_hooks_apply()
    {
        var createOnly = new Dictionary<string, string>(Strict);
        createOnly.Remove("alter.config.policy.class.name");
        var (broker, admin) = await StartAsync(createOnly);
        await using var _ = broker;
        await using var __ = admin;
        Violation((await admin.CreateTopicAsync("team-a.x", 1, configs: new Dictionary<string, string?> { ["retention.ms"] = "1000" })).Error, "policy.topic.forbidden.configs");
        Assert.True((await admin.CreateTopicAsync("team-a.x", 1)).Succeeded);
        var alter = (await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Topic("team-a.x")] = [new ConfigAlteration("retention.ms", "1000")],
        }))[0];
        Assert.True(alter.Succeeded, alter.Error?.Message);
    }

    [Theory]
    [InlineData("create.topic.policy.class.name", "com.acme.kafka.MyCreateTopicPolicy", "Class com.acme.kafka.MyCreateTopicPolicy cannot be found: this broker loads no Java plugins; the built-in policies are: kafkaoperator.policy.TopicLimits")]
    [InlineData("alter.config.policy.class.name", "TopicLimits", "Class TopicLimits cannot be found")]
    [InlineData("policy.topic.name.pattern", "team-(", "not a valid regular expression")]
    [InlineData("policy.topic.forbidden.configs", "retention.ms,retention.hours", "retention.hours is not a topic config")]
    [InlineData("policy.topic.max.partitions", "0", "Value must be at least 1")]
    public void Bad_policy_config_stops_the_broker_with_a_message_naming_the_key(string key, string value, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => BrokerConfig.Create(new Dictionary<string, string> { [key] = value }));
        Assert.Contains($"Invalid value {value} for configuration {key}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Min_replication_factor_above_the_max_is_a_config_error()
    {
        var ex = Assert.Throws<ConfigException>(() => BrokerConfig.Create(new Dictionary<string, string>
        {
            ["create.topic.policy.class.name"] = "kafkaoperator.policy.TopicLimits",
            ["policy.topic.min.replication.factor"] = "3",
            ["policy.topic.max.replication.factor"] = "2",
        }));
        Assert.Contains("policy.topic.min.replication.factor", ex.Message, StringComparison.Ordinal);
        Assert.Null(BrokerConfig.Create(new Dictionary<string, string>()).Policies.CreateTopic);
        Assert.Empty(BrokerConfig.Create(new Dictionary<string, string>()).Policies.Warnings);
        var forgotten = BrokerConfig.Create(new Dictionary<string, string> { ["policy.topic.max.partitions"] = "6" }).Policies;
        Assert.Null(forgotten.CreateTopic);
        Assert.Contains("policy.topic.max.partitions set but no policy enforces them", Assert.Single(forgotten.Warnings), StringComparison.Ordinal);
        Assert.Null(BrokerConfig.Create(new Dictionary<string, string> { ["create.topic.policy.class.name"] = "" }).Policies.CreateTopic);
    }
}
