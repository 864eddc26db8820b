using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class ConfigParsingTests
{
    [Fact]
    public void Properties_syntax_comments_separators_continuations_and_escapes()
    {
        var props = PropertiesFile.Parse("""
            # comment
            ! also a comment
            a=1
            b : 2
            c 3
              d=four \
                five
            e=tab\there
            f=\u0041
            empty=
            """);
        Assert.Equal("1", props["a"]);
        Assert.Equal("2", props["b"]);
        Assert.Equal("3", props["c"]);
        Assert.Equal("four five", props["d"]);
        Assert.Equal("tab\there", props["e"]);
        Assert.Equal("A", props["f"]);
        Assert.Equal("", props["empty"]);
        Assert.Equal(7, props.Count);
    }

    [Fact]
    public void Defaults_match_kafka()
    {
        var config = BrokerConfig.Create(new Dictionary<string, string>());
        Assert.Equal(0, config.NodeId);
        Assert.Equal("PLAINTEXT://127.0.0.1:9092", config.Listeners[0].ToString());
        Assert.Equal(1, config.NumPartitions);
        Assert.Equal(1, config.DefaultReplicationFactor);
        Assert.True(config.AutoCreateTopicsEnable);
        Assert.Equal(104857600, config.SocketRequestMaxBytes);
        Assert.Equal(1048588, config.MessageMaxBytes);
        Assert.Equal(300000, config.LogRetentionCheckIntervalMs);
        Assert.Equal(50, config.OffsetsTopicNumPartitions);
        var topic = TopicConfig.Create(config, null);
        Assert.Equal(604800000, topic.RetentionMs);
        Assert.Equal(604800000, topic.SegmentMs);
        Assert.Equal(1073741824, topic.SegmentBytes);
        Assert.Equal(-1, topic.RetentionBytes);
        Assert.Equal(long.MaxValue, topic.FlushMessages);
        Assert.Equal(4096, topic.IndexIntervalBytes);
        Assert.True(topic.Delete);
        Assert.False(topic.LogAppendTime);
    }

    [Fact]
    public void Broker_keys_map_to_topic_keys_with_unit_conversion_and_precedence()
    {
        var config = BrokerConfig.Create(new Dictionary<string, string>
        {
            ["log.retention.minutes"] = "10",
            ["log.retention.hours"] = "1",
            ["log.roll.hours"] = "2",
            ["log.cleanup.policy"] = "compact",
            ["broker.id"] = "3",
            ["log.dir"] = "/tmp/x",
        });
        Assert.Equal(3, config.NodeId);
        Assert.Equal("/tmp/x", config.LogDirs[0]);
        var topic = TopicConfig.Create(config, new Dictionary<string, string> { ["retention.bytes"] = "5" });
        Assert.Equal(600000, topic.RetentionMs);
        Assert.Equal(7200000, topic.SegmentMs);
        Assert.True(topic.Compact);
        Assert.Equal(5, topic.RetentionBytes);
        Assert.Equal(ConfigSource.TopicConfig, topic.Resolve("retention.bytes").Source);
        Assert.Equal(ConfigSource.StaticBrokerConfig, topic.Resolve("retention.ms").Source);
    }

    [Theory]
    [InlineData("num.partitions", "zero", "num.partitions")]
    [InlineData("num.partitions", "0", "at least 1")]
    [InlineData("auto.create.topics.enable", "yes", "true or false")]
    [InlineData("log.cleanup.policy", "forever", "compact, delete")]
    [InlineData("listeners", "localhost9092", "listeners")]
    public void Bad_values_name_the_key(string key, string value, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => BrokerConfig.Create(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_are_kept_and_reported()
    {
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["my.custom.key"] = "x" });
        Assert.Contains("my.custom.key", config.UnknownKeys);
        Assert.Equal("x", config.Static("my.custom.key"));
    }

    [Fact]
    public void Command_line_overrides_win_over_the_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "num.partitions=4\nlisteners=PLAINTEXT://127.0.0.1:9092\n");
            var config = CommandLine.Parse([file, "--override", "num.partitions=6", "--override=listeners=PLAINTEXT://0.0.0.0:0"]);
            Assert.Equal(6, config.NumPartitions);
            Assert.Equal(0, config.Listeners[0].Port);
            Assert.Throws<ConfigException>(() => CommandLine.Parse([file, "--override", "nokeyvalue"]));
            Assert.Throws<ConfigException>(() => CommandLine.Parse([]));
            Assert.Throws<ConfigException>(() => CommandLine.Parse(["/no/such/file.properties"]));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Program_exits_1_on_bad_config()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "num.partitions=-5\n");
            Assert.Equal(1, await Program.Main([file]));
            Assert.Equal(1, await Program.Main([]));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
