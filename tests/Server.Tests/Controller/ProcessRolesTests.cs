using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>process.roles against the quorum keys: Kafka's combinations and messages, checked before anything starts.</summary>
public sealed class ProcessRolesTests
{
    private const string Voters = "0@127.0.0.1:9193,1@127.0.0.1:9194,2@127.0.0.1:9195";

    private static BrokerConfig Config(params (string Key, string Value)[] settings)
    {
        var props = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listeners"] = "PLAINTEXT://127.0.0.1:9092",
            ["controller.listener.names"] = "CONTROLLER",
        };
        foreach (var (key, value) in settings)
            props[key] = value;
        return BrokerConfig.Create(props);
    }

    [Fact]
    public void A_broker_only_node_outside_the_voters_and_a_combined_node_among_them_are_valid()
    {
        ProcessRoles.Validate(Config(("node.id", "3"), ("process.roles", "broker"), ("controller.quorum.voters", Voters)));
        ProcessRoles.Validate(Config(("node.id", "3"), ("process.roles", "broker"), ("controller.quorum.bootstrap.servers", "127.0.0.1:9193"), ("cluster.id", "abc")));
        ProcessRoles.Validate(Config(("node.id", "1"), ("process.roles", "broker,controller"), ("controller.quorum.voters", Voters),
            ("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9194")));
        ProcessRoles.Validate(Config(("node.id", "1"), ("process.roles", "controller"), ("controller.quorum.voters", Voters),
            ("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9194")));
        // A single node: no voters, the combined roles by default.
        ProcessRoles.Validate(BrokerConfig.Create(new Dictionary<string, string> { ["listeners"] = "PLAINTEXT://127.0.0.1:9092" }));
    }

    [Theory]
    [InlineData("broker", "0", Voters, "", "If process.roles contains just the 'broker' role, the node id 0 must not be included in the set of voters controller.quorum.voters={0, 1, 2}")]
    [InlineData("controller", "5", Voters, "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9199", "If process.roles contains the 'controller' role, the node id 5 must be included in the set of voters controller.quorum.voters={0, 1, 2}")]
    [InlineData("broker", "3", "", "", "either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of voters")]
    [InlineData("broker", "3", Voters, "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9199", "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role")]
    [InlineData("controller", "0", "", "", "a node with the controller role needs the static voter set")]
    [InlineData("broker,broker", "3", Voters, "", "Duplicate role names found in `process.roles`")]
    [InlineData("zookeeper", "3", Voters, "", "Unknown process role 'zookeeper' (only 'broker' and 'controller' are allowed roles)")]
    [InlineData("broker,controller", "1", Voters, "", "controller.listener.names must name one of the listeners")]
    public void Bad_combinations_stop_the_node_with_Kafkas_message(string roles, string nodeId, string voters, string listeners, string message)
    {
        var settings = new List<(string, string)> { ("process.roles", roles), ("node.id", nodeId), ("controller.quorum.voters", voters) };
        if (listeners.Length > 0)
            settings.Add(("listeners", listeners));
        var ex = Assert.Throws<ConfigException>(() => ProcessRoles.Validate(Config([.. settings])));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broker_only_node_needs_a_controller_listener_name_and_with_bootstrap_servers_only_a_cluster_id()
    {
        var noName = BrokerConfig.Create(new Dictionary<string, string>
        {
            ["listeners"] = "PLAINTEXT://127.0.0.1:9092", ["node.id"] = "3", ["process.roles"] = "broker", ["controller.quorum.voters"] = Voters,
        });
        Assert.Contains("controller.listener.names must contain at least one value when running KRaft with just the broker role",
            Assert.Throws<ConfigException>(() => ProcessRoles.Validate(noName)).Message, StringComparison.Ordinal);

        var noId = Config(("node.id", "3"), ("process.roles", "broker"), ("controller.quorum.bootstrap.servers", "127.0.0.1:9193"));
        Assert.Contains("cluster.id", Assert.Throws<ConfigException>(() => ProcessRoles.Validate(noId)).Message, StringComparison.Ordinal);

        var badServer = Config(("node.id", "3"), ("process.roles", "broker"), ("controller.quorum.bootstrap.servers", "nohostport"), ("cluster.id", "x"));
        Assert.Contains("controller.quorum.bootstrap.servers", Assert.Throws<ConfigException>(() => ProcessRoles.Validate(badServer)).Message, StringComparison.Ordinal);
    }
}
