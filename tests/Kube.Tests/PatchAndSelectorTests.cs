using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

public sealed class PatchAndSelectorTests
{
    [Fact]
    public async Task Merge_patch_merges_objects_and_null_removes()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        await client.CreateAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c", Labels = new Dictionary<string, string>() { ["keep"] = "1", ["drop"] = "1" } },
            Data = new Dictionary<string, string>() { ["a"] = "1" },
        });
        var patched = await client.MergePatchAsync<V1ConfigMap>("ns", "c", JsonNode.Parse("""
            {"metadata":{"labels":{"drop":null,"new":"2"}},"data":{"b":"2"}}
            """)!);
        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["new"] = "2" }, patched.Metadata.Labels);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, patched.Data);
        Assert.Contains(server.Requests, r => r.Method == "PATCH" && r.ContentType!.StartsWith("application/merge-patch+json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Merge_patch_with_a_stale_resource_version_is_409()
    {
        await using var server = await FakeApiServer.StartAsync();
        var created = await server.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c" } });
        await server.Client.MergePatchAsync<V1ConfigMap>("ns", "c", new { data = new { x = "1" } });
        var error = await Assert.ThrowsAsync<KubeApiException>(() => server.Client.MergePatchAsync<V1ConfigMap>("ns", "c",
            new { metadata = new { resourceVersion = created.Metadata.ResourceVersion }, data = new { x = "2" } }));
        Assert.Equal(409, error.StatusCode);
    }

    [Fact]
    public async Task Apply_creates_then_updates_and_is_idempotent()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var desired = new V1Service
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "kafka-headless", Labels = new Dictionary<string, string>() { ["app"] = "kafka" } },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                Selector = new Dictionary<string, string>() { ["app"] = "kafka" },
                Ports = [new V1ServicePort { Name = "kafka", Port = 9092, TargetPort = 9092 }],
            },
        };
        var created = await client.ApplyAsync(desired, "kafka-operator");
        Assert.Equal("None", created.Spec!.ClusterIP);
        Assert.Equal("9092", created.Spec.Ports![0].TargetPort!.Value);

        var again = await client.ApplyAsync(desired, "kafka-operator");
        Assert.Equal(created.Metadata.ResourceVersion, again.Metadata.ResourceVersion);

        desired.Spec.Ports[0].TargetPort = "kafka";
        var changed = await client.ApplyAsync(desired, "kafka-operator");
        Assert.Equal("kafka", changed.Spec!.Ports![0].TargetPort!.Value);
        Assert.Equal(2, changed.Metadata.Generation);

        var applies = server.Requests.Where(r => r.Method == "PATCH").ToList();
        Assert.Equal(3, applies.Count);
        Assert.All(applies, r => Assert.StartsWith("application/apply-patch+yaml", r.ContentType, StringComparison.Ordinal));
        Assert.All(applies, r => Assert.Contains("fieldManager=kafka-operator", r.Query, StringComparison.Ordinal));
        Assert.All(applies, r => Assert.Contains("force=true", r.Query, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_patch_on_status_subresource()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(Widget.Make("ns", "w"));
        var status = new Widget { Metadata = new V1ObjectMeta { Name = "w", NamespaceProperty = "ns" }, Status = new WidgetStatus { Phase = "Ready" } };
        var result = await server.Client.ApplyAsync(status, "op", status: true);
        Assert.Equal("Ready", result.Status!.Phase);
        Assert.Equal(1, result.Spec!.Size);
    }

    [Fact]
    public async Task Label_selectors_filter_lists()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        await client.CreateAsync(Widget.Make("ns", "a", labels: new Dictionary<string, string>() { ["app"] = "kafka", ["tier"] = "broker" }));
        await client.CreateAsync(Widget.Make("ns", "b", labels: new Dictionary<string, string>() { ["app"] = "kafka" }));
        await client.CreateAsync(Widget.Make("ns", "c", labels: new Dictionary<string, string>() { ["app"] = "zk" }));
        await client.CreateAsync(Widget.Make("ns", "d"));

        async Task<string> Names(string selector) =>
            string.Join(",", (await client.ListAsync<Widget>("ns", selector)).Items.Select(w => w.Metadata.Name));

        Assert.Equal("a,b", await Names("app=kafka"));
        Assert.Equal("a,b", await Names("app==kafka"));
        Assert.Equal("c,d", await Names("app!=kafka"));
        Assert.Equal("a,b,c", await Names("app in (kafka, zk)"));
        Assert.Equal("c,d", await Names("app notin (kafka)"));
        Assert.Equal("a", await Names("tier"));
        Assert.Equal("b,c,d", await Names("!tier"));
        Assert.Equal("a", await Names("app=kafka,tier=broker"));
        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.ListAsync<Widget>("ns", "app in kafka"));
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Deleting_an_owner_cascades_to_dependents()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var owner = await client.CreateAsync(Widget.Make("ns", "owner"));
        var reference = KubeEntity.ControllerOf(owner);
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "child", OwnerReferences = [reference] } });
        var grandchildOwner = (await client.GetAsync<V1ConfigMap>("ns", "child"))!;
        await client.CreateAsync(new V1Secret { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "grandchild", OwnerReferences = [KubeEntity.ControllerOf(grandchildOwner)] } });
        await client.CreateAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "finalized-child", OwnerReferences = [reference], Finalizers = ["x/y"] },
        });
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "unrelated" } });

        await client.DeleteAsync<Widget>("ns", "owner");

        Assert.Null(await client.GetAsync<Widget>("ns", "owner"));
        Assert.Null(await client.GetAsync<V1ConfigMap>("ns", "child"));
        Assert.Null(await client.GetAsync<V1Secret>("ns", "grandchild"));
        Assert.NotNull((await client.GetAsync<V1ConfigMap>("ns", "finalized-child"))!.Metadata.DeletionTimestamp);
        Assert.NotNull(await client.GetAsync<V1ConfigMap>("ns", "unrelated"));
    }

    [Fact]
    public async Task Orphan_deletion_strips_owner_references()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var owner = await client.CreateAsync(Widget.Make("ns", "owner"));
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "child", OwnerReferences = [KubeEntity.ControllerOf(owner)] } });
        await client.DeleteAsync<Widget>("ns", "owner", propagationPolicy: "Orphan");
        var child = await client.GetAsync<V1ConfigMap>("ns", "child");
        Assert.NotNull(child);
        Assert.Null(child.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task An_object_read_from_the_server_can_be_applied_back()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c" },
            Data = new Dictionary<string, string>() { ["a"] = "1" },
        });
        var read = (await server.Client.GetAsync<V1ConfigMap>("ns", "c"))!;
        Assert.NotEmpty(read.Metadata.ManagedFields);
        read.Data!["a"] = "2";
        var applied = await server.Client.ApplyAsync(read, "op");
        Assert.Equal("2", applied.Data!["a"]);

        // Like the real API, the fake rejects an apply that carries managedFields or lacks apiVersion/kind.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var body = new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","managedFields":[{"manager":"x"}]}}""");
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await http.PatchAsync("api/v1/namespaces/ns/configmaps/c?fieldManager=op", body);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Foreground_deletion_waits_for_dependents()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var owner = await client.CreateAsync(Widget.Make("ns", "owner"));
        var reference = KubeEntity.ControllerOf(owner);
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "plain", OwnerReferences = [reference] } });
        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "held", OwnerReferences = [reference], Finalizers = ["x/y"] } });

        await client.DeleteAsync<Widget>("ns", "owner", propagationPolicy: "Foreground");
        var deleting = await client.GetAsync<Widget>("ns", "owner");
        Assert.NotNull(deleting?.Metadata.DeletionTimestamp);
        Assert.Equal(["foregroundDeletion"], deleting!.Metadata.Finalizers);
        Assert.Null(await client.GetAsync<V1ConfigMap>("ns", "plain"));
        var held = (await client.GetAsync<V1ConfigMap>("ns", "held"))!;
        Assert.NotNull(held.Metadata.DeletionTimestamp);

        held.Metadata.Finalizers = null;
        await client.ReplaceAsync(held);
        Assert.Null(await client.GetAsync<V1ConfigMap>("ns", "held"));
        Assert.Null(await client.GetAsync<Widget>("ns", "owner"));

        // Without dependents, foreground deletion is immediate.
        await client.CreateAsync(Widget.Make("ns", "lonely"));
        await client.DeleteAsync<Widget>("ns", "lonely", propagationPolicy: "Foreground");
        Assert.Null(await client.GetAsync<Widget>("ns", "lonely"));
    }
}
