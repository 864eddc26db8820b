using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

public sealed class CrudTests
{
    [Fact]
    public async Task Create_get_list_update_round_trip_through_http()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;

        var created = await client.CreateAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = "ns1", Name = "cfg", Labels = new Dictionary<string, string>() { ["app"] = "kafka" } },
            Data = new Dictionary<string, string>() { ["a"] = "1" },
        });
        Assert.Equal("v1", created.ApiVersion);
        Assert.Equal("ConfigMap", created.Kind);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal("ns1", created.Metadata.NamespaceProperty);

        var fetched = await client.GetAsync<V1ConfigMap>("ns1", "cfg");
        Assert.NotNull(fetched);
        Assert.Equal("1", fetched.Data!["a"]);
        Assert.Equal(created.Metadata.ResourceVersion, fetched.Metadata.ResourceVersion);

        fetched.Data["b"] = "2";
        var updated = await client.ReplaceAsync(fetched);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);
        Assert.Equal("2", updated.Data!["b"]);
        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);

        await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns2", Name = "other" } });
        var inNs1 = await client.ListAsync<V1ConfigMap>("ns1");
        Assert.Equal(["cfg"], inNs1.Items.Select(i => i.Metadata.Name));
        Assert.Equal("ConfigMap", inNs1.Items[0].Kind);
        Assert.Equal(server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), inNs1.Metadata.ResourceVersion);
        var all = await client.ListAsync<V1ConfigMap>(null);
        Assert.Equal(2, all.Items.Count);
    }

    [Fact]
    public async Task Missing_objects_get_null_and_delete_is_a_no_op()
    {
        await using var server = await FakeApiServer.StartAsync();
        Assert.Null(await server.Client.GetAsync<V1ConfigMap>("ns", "nope"));
        await server.Client.DeleteAsync<V1ConfigMap>("ns", "nope");
        var error = await Assert.ThrowsAsync<KubeApiException>(() =>
            server.Client.ReplaceAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "nope" } }));
        Assert.Equal(404, error.StatusCode);
        Assert.True(error.IsNotFound);
    }

    [Fact]
    public async Task Creating_twice_is_409_already_exists()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(new V1Secret { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "s" }, StringData = new Dictionary<string, string>() { ["k"] = "v" } });
        var error = await Assert.ThrowsAsync<KubeApiException>(() =>
            server.Client.CreateAsync(new V1Secret { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "s" } }));
        Assert.Equal(409, error.StatusCode);
        Assert.Equal("AlreadyExists", error.Reason);
    }

    [Fact]
    public async Task Stale_resource_version_is_409_conflict()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var first = await client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c" }, Data = new Dictionary<string, string>() { ["v"] = "0" } });
        var copyA = (await client.GetAsync<V1ConfigMap>("ns", "c"))!;
        var copyB = (await client.GetAsync<V1ConfigMap>("ns", "c"))!;
        copyA.Data!["v"] = "a";
        await client.ReplaceAsync(copyA);
        copyB.Data!["v"] = "b";
        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.ReplaceAsync(copyB));
        Assert.True(error.IsConflict);
        Assert.Equal("Conflict", error.Reason);
        Assert.Equal("a", (await client.GetAsync<V1ConfigMap>("ns", "c"))!.Data!["v"]);
        Assert.NotEqual(first.Metadata.ResourceVersion, (await client.GetAsync<V1ConfigMap>("ns", "c"))!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Generation_bumps_on_spec_changes_only()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var widget = await client.CreateAsync(Widget.Make("ns", "w", size: 1));
        Assert.Equal(1, widget.Metadata.Generation);

        widget.Metadata.Labels = new Dictionary<string, string>() { ["touched"] = "yes" };
        widget = await client.ReplaceAsync(widget);
        Assert.Equal(1, widget.Metadata.Generation);

        widget.Status = new WidgetStatus { Phase = "Ready" };
        widget = await client.ReplaceStatusAsync(widget);
        Assert.Equal(1, widget.Metadata.Generation);

        widget.Spec!.Size = 3;
        widget = await client.ReplaceAsync(widget);
        Assert.Equal(2, widget.Metadata.Generation);

        var patched = await client.MergePatchAsync<Widget>("ns", "w", new { spec = new { color = "red" } });
        Assert.Equal(3, patched.Metadata.Generation);
    }

    [Fact]
    public async Task No_op_update_keeps_the_resource_version()
    {
        await using var server = await FakeApiServer.StartAsync();
        var widget = await server.Client.CreateAsync(Widget.Make("ns", "w"));
        var again = await server.Client.ReplaceAsync(widget);
        Assert.Equal(widget.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Status_subresource_isolates_status_from_spec()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var created = Widget.Make("ns", "w", size: 1);
        created.Status = new WidgetStatus { Phase = "IgnoredOnCreate" };
        var widget = await client.CreateAsync(created);
        Assert.Null(widget.Status);

        // The main resource ignores status...
        widget.Status = new WidgetStatus { Phase = "Sneaky" };
        widget.Spec!.Size = 2;
        widget = await client.ReplaceAsync(widget);
        Assert.Null(widget.Status);
        Assert.Equal(2, widget.Spec!.Size);

        // ...and the status subresource ignores everything else.
        widget.Status = new WidgetStatus { Phase = "Ready", ObservedGeneration = widget.Metadata.Generation };
        widget.Spec.Size = 99;
        widget.Metadata.Labels = new Dictionary<string, string>() { ["x"] = "y" };
        widget = await client.ReplaceStatusAsync(widget);
        Assert.Equal("Ready", widget.Status!.Phase);
        Assert.Equal(2, widget.Spec!.Size);
        Assert.Null(widget.Metadata.Labels);

        var patched = await client.MergePatchAsync<Widget>("ns", "w", new { status = new { phase = "Degraded" }, spec = new { size = 50 } }, status: true);
        Assert.Equal("Degraded", patched.Status!.Phase);
        Assert.Equal(2, patched.Spec!.Size);
    }

    [Fact]
    public async Task Without_status_subresource_the_main_resource_writes_status()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.SetStatusSubresource("test.example.com", "widgets", enabled: false);
        var created = Widget.Make("ns", "w");
        created.Status = new WidgetStatus { Phase = "Kept" };
        var widget = await server.Client.CreateAsync(created);
        Assert.Equal("Kept", widget.Status!.Phase);
    }

    [Fact]
    public async Task Crd_registration_decides_the_status_subresource()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "gadgets.test.example.com" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "test.example.com",
                Scope = "Cluster",
                Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Kind = "Gadget" },
                Versions = [new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = true }],
            },
        });
        Assert.NotNull(await server.Client.GetAsync<V1CustomResourceDefinition>(null, "gadgets.test.example.com"));
        var gadget = await server.Client.CreateAsync(new Gadget { Metadata = new V1ObjectMeta { Name = "g" }, Status = new WidgetStatus { Phase = "Kept" } });
        Assert.Equal("Kept", gadget.Status!.Phase);
        Assert.Null(gadget.Metadata.NamespaceProperty);
        Assert.Single((await server.Client.ListAsync<Gadget>(null)).Items);
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_the_last_one_is_removed()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var widget = Widget.Make("ns", "w");
        widget.Metadata.Finalizers = ["test.example.com/cleanup", "other/keep"];
        await client.CreateAsync(widget);

        await client.DeleteAsync<Widget>("ns", "w");
        var deleting = await client.GetAsync<Widget>("ns", "w");
        Assert.NotNull(deleting);
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);

        deleting.Metadata.Finalizers!.Add("new/finalizer");
        var forbidden = await Assert.ThrowsAsync<KubeApiException>(() => client.ReplaceAsync(deleting));
        Assert.Equal(422, forbidden.StatusCode);

        deleting.Metadata.Finalizers = ["other/keep"];
        var stillThere = await client.ReplaceAsync(deleting);
        Assert.NotNull(await client.GetAsync<Widget>("ns", "w"));
        Assert.Equal(deleting.Metadata.DeletionTimestamp, stillThere.Metadata.DeletionTimestamp);

        await client.MergePatchAsync<Widget>("ns", "w", System.Text.Json.Nodes.JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!);
        Assert.Null(await client.GetAsync<Widget>("ns", "w"));
    }

    [Fact]
    public async Task Failure_injection_answers_the_next_matching_requests()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "c" } });
        server.InjectFailures(2, 500, method: "GET", pathContains: "/configmaps/c");
        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<KubeApiException>(() => server.Client.GetAsync<V1ConfigMap>("ns", "c"));
            Assert.Equal(500, error.StatusCode);
        }
        Assert.NotNull(await server.Client.GetAsync<V1ConfigMap>("ns", "c"));
        server.InjectFailures(1, 409);
        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => server.Client.ListAsync<V1ConfigMap>("ns"));
        Assert.True(conflict.IsConflict);
    }

    [Fact]
    public async Task Cluster_scoped_kinds_take_no_namespace()
    {
        await using var server = await FakeApiServer.StartAsync();
        var ns = await server.Client.CreateAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        Assert.Equal("team", ns.Metadata.Name);
        Assert.NotNull(await server.Client.GetAsync<V1Namespace>(null, "team"));
    }

    [Fact]
    public async Task List_follows_continue_tokens_across_pages()
    {
        await using var server = await FakeApiServer.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await server.Client.CreateAsync(Widget.Make("ns", $"w{i}"));
        }
        var paging = server.CreateClient();
        paging.ListPageSize = 2;
        var list = await paging.ListAsync<Widget>("ns");
        Assert.Equal(["w0", "w1", "w2", "w3", "w4"], list.Items.Select(w => w.Metadata.Name));
        Assert.Null(list.Metadata.ContinueProperty);
        var pages = server.Requests.Where(r => r.Method == "GET" && r.Query.Contains("limit=2", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, pages.Count);
        Assert.Contains("continue=4", pages[^1].Query, StringComparison.Ordinal);
    }
}
