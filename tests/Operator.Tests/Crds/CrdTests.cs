using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Crds;

public sealed class CrdTests
{
    [Fact]
    public void Crds_folder_matches_the_csharp_types()
    {
        var temp = Directory.CreateTempSubdirectory("crds-");
        try
        {
            CrdGenerator.WriteTo(temp.FullName);
            var repo = Path.Combine(RepoPaths.Root, "crds");
            var generated = Directory.GetFiles(temp.FullName).Select(Path.GetFileName).Order().ToList();
            var committed = Directory.GetFiles(repo).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(generated, committed);
            foreach (var name in generated)
            {
                var fresh = File.ReadAllText(Path.Combine(temp.FullName, name!));
                var current = File.ReadAllText(Path.Combine(repo, name!));
                Assert.True(fresh == current, $"crds/{name} is stale: run `make crds` and commit the result");
            }
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public void Topic_crd_has_the_validation_rules_and_columns()
    {
        var crd = CrdGenerator.Generate(typeof(KafkaTopic));
        var version = crd["spec"]!["versions"]![0]!;
        var spec = version["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        string Rules(string prop) => string.Join(";", spec["properties"]![prop]!["x-kubernetes-validations"]!.AsArray().Select(r => r!["rule"]!.GetValue<string>()));
        Assert.Contains("self >= oldSelf", Rules("partitions"), StringComparison.Ordinal);
        Assert.Equal(1, spec["properties"]!["partitions"]!["minimum"]!.GetValue<long>());
        // The replication factor may change (the operator reassigns); only its range is checked at admission.
        Assert.DoesNotContain("self == oldSelf", Rules("replicationFactor"), StringComparison.Ordinal);
        Assert.Contains("self <= 32767", Rules("replicationFactor"), StringComparison.Ordinal);
        Assert.Contains("self == oldSelf", Rules("topicName"), StringComparison.Ordinal);
        Assert.Equal(["Cluster", "Partitions", "RF", "In-Sync", "Ready", "Age"], version["additionalPrinterColumns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("kt", crd["spec"]!["names"]!["shortNames"]![0]!.GetValue<string>());
        Assert.NotNull(version["subresources"]!["status"]);
    }

    [Fact]
    public void Cluster_crd_rejects_every_operator_owned_key()
    {
        var crd = CrdGenerator.Generate(typeof(KafkaCluster));
        var spec = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        var rule = spec["properties"]!["config"]!["x-kubernetes-validations"]![0]!["rule"]!.GetValue<string>();
        foreach (var key in KafkaClusterSpec.OperatorOwnedKeys)
        {
            Assert.Contains($"'{key}'", rule, StringComparison.Ordinal);
        }
        Assert.Equal(1, spec["properties"]!["replicas"]!["minimum"]!.GetValue<long>());
    }

    [Fact]
    public void Cluster_crd_lets_the_broker_count_change_but_fixes_the_controllers()
    {
        var crd = CrdGenerator.Generate(typeof(KafkaCluster));
        var spec = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        var replicaRules = spec["properties"]!["replicas"]!["x-kubernetes-validations"]!.AsArray();
        Assert.DoesNotContain(replicaRules, r => r!["rule"]!.GetValue<string>() == "self == oldSelf");
        var controllerRules = spec["properties"]!["controllers"]!["x-kubernetes-validations"]!.AsArray();
        Assert.Contains(controllerRules, r => r!["rule"]!.GetValue<string>() == "self == oldSelf");
        Assert.Contains(controllerRules, r => r!["rule"]!.GetValue<string>() == "self == 1 || self == 3 || self == 5");
        Assert.Contains(spec["x-kubernetes-validations"]!.AsArray(), r => r!["rule"]!.GetValue<string>() == "!has(self.controllers) || self.replicas >= self.controllers");
    }
}
