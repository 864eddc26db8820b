using System.Text.Json;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// The built-in topic policy seen from real clients: confluent-kafka-python's AdminClient and kafka-python's
/// KafkaAdminClient get POLICY_VIOLATION (44) with the broker's message for CreateTopics (also validate-only),
/// CreatePartitions and AlterConfigs; and a policy class the broker does not have stops the process at start-up.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class PolicyViolationTests(ITestOutputHelper output)
{
    private const string Policy = "kafkaoperator.policy.TopicLimits";
    private const string TooManyPartitions = "would have 7 partitions, more than the 6 allowed (policy.topic.max.partitions)";

    [Fact]
    public async Task Python_admin_clients_report_POLICY_VIOLATION_with_the_reason()
    {
        await using var broker = await BrokerProcess.StartAsync(output, new Dictionary<string, string>
        {
            ["create.topic.policy.class.name"] = Policy,
            ["alter.config.policy.class.name"] = Policy,
            ["policy.topic.max.partitions"] = "6",
            ["policy.topic.forbidden.configs"] = "retention.ms",
        });
        var result = await ClientScript.RunAsync(RepoPaths.RequirePython(),
            [Path.Combine(RepoPaths.PythonDir, "policy_errors.py"), broker.BootstrapServers], TimeSpan.FromSeconds(60), output);
        var summary = result.RequireSummary();

        var confluent = summary.GetProperty("confluent");
        AssertViolation(confluent.GetProperty("create_validate_only"), "POLICY_VIOLATION", TooManyPartitions);
        AssertViolation(confluent.GetProperty("create"), "POLICY_VIOLATION", TooManyPartitions);
        Assert.True(confluent.GetProperty("create_allowed").GetProperty("ok").GetBoolean());
        AssertViolation(confluent.GetProperty("create_partitions"), "POLICY_VIOLATION", "would grow from 2 to 9 partitions");
        AssertViolation(confluent.GetProperty("alter_configs"), "POLICY_VIOLATION", "may not set retention.ms");

        var kafkaPython = summary.GetProperty("kafka_python");
        AssertViolation(kafkaPython.GetProperty("create"), "PolicyViolationError", TooManyPartitions);
        AssertViolation(kafkaPython.GetProperty("create_partitions"), "PolicyViolationError", "would grow from 2 to 9 partitions");
        AssertViolation(kafkaPython.GetProperty("alter_configs"), "PolicyViolationError", "may not set retention.ms");

        Assert.True(broker.IsRunning);
        Assert.False(Directory.Exists(Path.Combine(broker.DataDir, "team-py.big-0")));
        Assert.False(Directory.Exists(Path.Combine(broker.DataDir, "team-kp.big-0")));
    }

    [Fact]
    public async Task Unknown_policy_class_stops_the_broker_with_a_clear_message()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ko-policy-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var properties = Path.Combine(dir, "server.properties");
            await File.WriteAllLinesAsync(properties,
            [
                "listeners=PLAINTEXT://127.0.0.1:0",
                $"log.dirs={Path.Combine(dir, "data")}",
                "create.topic.policy.class.name=com.acme.kafka.NamingPolicy",
            ]);
            var result = await ClientScript.RunAsync("dotnet", [RepoPaths.BrokerDll, properties], TimeSpan.FromSeconds(60), output);
            Assert.Equal(1, result.ExitCode);
            Assert.DoesNotContain("ready", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("Invalid value com.acme.kafka.NamingPolicy for configuration create.topic.policy.class.name: " +
                "Class com.acme.kafka.NamingPolicy cannot be found: this broker loads no Java plugins; the built-in policies are: " + Policy,
                result.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(dir, "data")), "nothing is written before the config is accepted");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertViolation(JsonElement outcome, string name, string reason)
    {
        Assert.False(outcome.GetProperty("ok").GetBoolean(), outcome.ToString());
        Assert.Equal(44, outcome.GetProperty("code").GetInt32());
        Assert.Equal(name, outcome.GetProperty("name").GetString());
        var message = outcome.GetProperty("message").GetString();
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Contains(Policy, message, StringComparison.Ordinal);
    }
}
