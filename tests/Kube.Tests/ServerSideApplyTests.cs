using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

/// <summary>The in-process API server answers server-side apply, quantities and strategic merge patch as the apiserver does.</summary>
public sealed class ServerSideApplyTests
{
    private static V1ConfigMap Config(Dictionary<string, string> data, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c", Labels = labels },
        Data = data,
    };

    [Fact]
    public async Task A_conflicting_apply_is_409_naming_the_owner_and_force_takes_the_field_over()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        await client.ApplyAsync(Config(new() { ["a"] = "1", ["b"] = "2" }), "kafka-operator", force: false);

        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => client.ApplyAsync(Config(new() { ["a"] = "9" }), "kubectl", force: false));
        Assert.Equal(409, conflict.StatusCode);
        Assert.Contains("conflict with \"kafka-operator\"", conflict.Message, StringComparison.Ordinal);
        Assert.Contains(".data.a", conflict.Message, StringComparison.Ordinal);

        // The same value is no conflict: both managers own it.
        await client.ApplyAsync(Config(new() { ["b"] = "2" }), "kubectl", force: false);

        var forced = await client.ApplyAsync(Config(new() { ["a"] = "9", ["b"] = "2" }), "kubectl", force: true);
        Assert.Equal("9", forced.Data["a"]);
        var managers = forced.Metadata.ManagedFields.Select(m => (m.Manager, m.Operation)).Order().ToList();
        Assert.Equal([("kafka-operator", "Apply"), ("kubectl", "Apply")], managers);

        var back = await Assert.ThrowsAsync<KubeApiException>(() => client.ApplyAsync(Config(new() { ["a"] = "1", ["b"] = "2" }), "kafka-operator", force: false));
        Assert.Contains("conflict with \"kubectl\"", back.Message, StringComparison.Ordinal);
        var retaken = await client.ApplyAsync(Config(new() { ["a"] = "1", ["b"] = "2" }), "kafka-operator", force: true);
        Assert.Equal("1", retaken.Data["a"]);
    }

    [Fact]
    public async Task Fields_a_manager_stops_applying_are_removed_unless_another_manager_owns_them()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        await client.ApplyAsync(Config(new() { ["a"] = "1", ["b"] = "2", ["c"] = "3" }, new() { ["x"] = "1", ["y"] = "1" }), "kafka-operator");
        await client.ApplyAsync(Config(new() { ["c"] = "3" }), "other");

        var applied = await client.ApplyAsync(Config(new() { ["a"] = "1" }, new() { ["x"] = "1" }), "kafka-operator");
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["c"] = "3" }, applied.Data);
        Assert.Equal(new Dictionary<string, string> { ["x"] = "1" }, applied.Metadata.Labels);

        // The same intent again changes nothing: no new resourceVersion, no event.
        var again = await client.ApplyAsync(Config(new() { ["a"] = "1" }, new() { ["x"] = "1" }), "kafka-operator");
        Assert.Equal(applied.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Quantities_come_back_in_canonical_form()
    {
        await using var server = await FakeApiServer.StartAsync();
        var pod = await server.Client.ApplyAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "p" },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "broker",
                        Image = "broker:1",
                        Resources = new V1ResourceRequirements
                        {
                            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("0.5"), ["memory"] = new("1Gi") },
                            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1000m"), ["memory"] = new("1536Mi") },
                        },
                    },
                ],
            },
        }, "kafka-operator");
        var stored = server.GetStored("", "pods", "ns", "p")!["spec"]!["containers"]![0]!["resources"]!;
        Assert.Equal("500m", (string?)stored["requests"]!["cpu"]);
        Assert.Equal("1Gi", (string?)stored["requests"]!["memory"]);
        Assert.Equal("1", (string?)stored["limits"]!["cpu"]);
        Assert.Equal("1536Mi", (string?)stored["limits"]!["memory"]);
        Assert.Equal("500m", pod.Spec.Containers[0].Resources.Requests["cpu"].ToString());
    }

    [Fact]
    public async Task Keyed_lists_merge_by_key_in_apply_and_strategic_merge_patch()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        V1Pod Broker(string image) => new()
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "p" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "broker", Image = image, Ports = [new V1ContainerPort { ContainerPort = 9092, Name = "kafka" }] }],
            },
        };
        await client.ApplyAsync(Broker("broker:1"), "kafka-operator");

        // Another controller injects a sidecar and a port with a strategic merge patch: lists merge by their keys.
        var patch = new V1Patch("""
            {"spec":{"containers":[{"name":"sidecar","image":"proxy:1"},{"name":"broker","ports":[{"containerPort":9404,"name":"metrics"}]}]}}
            """, V1Patch.PatchType.StrategicMergePatch);
        var injected = await client.Kubernetes.CoreV1.PatchNamespacedPodAsync(patch, "p", "ns", fieldManager: "injector");
        Assert.Equal(["broker", "sidecar"], injected.Spec.Containers.Select(c => c.Name));
        Assert.Equal([9092, 9404], injected.Spec.Containers[0].Ports.Select(p => p.ContainerPort));

        // The operator's next apply changes its own fields and leaves the injector's alone.
        var applied = await client.ApplyAsync(Broker("broker:2"), "kafka-operator");
        Assert.Equal(["broker", "sidecar"], applied.Spec.Containers.Select(c => c.Name));
        Assert.Equal("broker:2", applied.Spec.Containers[0].Image);
        Assert.Equal([9092, 9404], applied.Spec.Containers[0].Ports.Select(p => p.ContainerPort));

        // Custom resources have no patch strategy: the apiserver refuses a strategic merge patch for them.
        await client.CreateAsync(Widget.Make("ns", "w"));
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.Kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"size":2}}""", V1Patch.PatchType.StrategicMergePatch), "test.example.com", "v1", "ns", "widgets", "w"));
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, error.Response.StatusCode);
    }
}
