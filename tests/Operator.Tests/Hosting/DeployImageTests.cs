using System.Text.RegularExpressions;
using KafkaOperator.Operator.Hosting;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Hosting;

/// <summary>
/// One story for image names: `make images` tags, config/deployment.yaml (what `kubectl apply -k config/` deploys
/// and what `make deploy` substitutes) and the operator's built-in broker image all use the Makefile's defaults.
/// </summary>
public sealed partial class DeployImageTests
{
    private static string MakeVariable(string name)
    {
        var makefile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Makefile"));
        var m = Regex.Match(makefile, $@"^{Regex.Escape(name)} :=\s*(\S+)\s*$", RegexOptions.Multiline);
        Assert.True(m.Success, $"Makefile defines no {name}");
        return m.Groups[1].Value;
    }

    [Fact]
    public void Config_and_operator_defaults_name_the_images_make_builds_by_default()
    {
        var registry = MakeVariable("CONFIG_REGISTRY");
        var tag = MakeVariable("CONFIG_TAG");
        var deployment = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "deployment.yaml"));

        Assert.Equal([$"{registry}/operator:{tag}"], ImageLine().Matches(deployment).Select(m => m.Groups[1].Value));
        Assert.Equal([$"{registry}/broker:{tag}"], BrokerImageArg().Matches(deployment).Select(m => m.Groups[1].Value));
        Assert.Equal(ModelOptions.BuiltInBrokerImage, $"{registry}/broker:{tag}");
        Assert.Equal($"{registry}/broker:{tag}", new OperatorSettings().BrokerImage);
        Assert.Equal($"{registry}/broker:{tag}", new ModelOptions().DefaultBrokerImage);
        // A kustomize images: override would change the operator image only, leaving the broker image behind.
        Assert.DoesNotContain("images:", File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "kustomization.yaml")), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s*image:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ImageLine();

    [GeneratedRegex(@"--broker-image=(\S+)")]
    private static partial Regex BrokerImageArg();
}
