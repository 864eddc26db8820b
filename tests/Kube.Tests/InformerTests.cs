using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube.Tests;

public sealed class InformerTests
{
    private static readonly InformerOptions FastRetries = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task Informer_lists_then_follows_the_watch()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        await client.CreateAsync(Widget.Make("ns", "existing"));
        await client.CreateAsync(Widget.Make("other", "ignored"));

        var seen = new ConcurrentQueue<string>();
        await using var informer = new Informer<Widget>(client, "ns", options: FastRetries);
        informer.AddHandler(e =>
        {
            seen.Enqueue($"{e.Type}:{e.Object!.Metadata.Name}");
            return Task.CompletedTask;
        });
        informer.Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["existing"], informer.Items.Select(w => w.Metadata.Name));

        var added = await client.CreateAsync(Widget.Make("ns", "new"));
        added.Spec!.Size = 7;
        await client.ReplaceAsync(added);
        await client.DeleteAsync<Widget>("ns", "existing");

        await Poll.UntilAsync(() => seen.Count == 4, "four events");
        Assert.Equal(["Added:existing", "Added:new", "Modified:new", "Deleted:existing"], seen);
        Assert.Equal(7, informer.Get("ns", "new")!.Spec!.Size);
        Assert.Null(informer.Get("ns", "existing"));

        server.SendBookmarks();
        var expected = server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await client.CreateAsync(Widget.Make("other", "moves-the-version"));
        server.SendBookmarks();
        var latest = server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Poll.UntilAsync(() => informer.ResourceVersion == latest, "the bookmark's resourceVersion");
        Assert.NotEqual(expected, latest);
        Assert.Equal(1, informer.ListCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Watch_from_an_expired_version_relists_and_converges(bool expiredAsHttpStatus)
    {
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ExpiredWatchAsHttpStatus = expiredAsHttpStatus });
        var client = server.Client;
        await client.CreateAsync(Widget.Make("ns", "a"));
        var c = await client.CreateAsync(Widget.Make("ns", "c"));

        var seen = new ConcurrentQueue<string>();
        await using var informer = new Informer<Widget>(client, "ns", options: FastRetries);
        informer.AddHandler(e =>
        {
            seen.Enqueue($"{e.Type}:{e.Object!.Metadata.Name}");
            return Task.CompletedTask;
        });
        informer.Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => server.OpenWatchCount == 1, "the informer's watch");

        // Cut the watch and keep the informer from re-watching while the world changes and history is compacted.
        server.InjectFailures(int.MaxValue, 503, "GET", "watch=true");
        server.CloseWatches();
        await client.CreateAsync(Widget.Make("ns", "b"));
        await client.DeleteAsync<Widget>("ns", "a");
        c.Spec!.Size = 9;
        await client.ReplaceAsync(c);
        server.CompactHistory();
        server.ClearFailures();

        await Poll.UntilAsync(() => informer.Items.Count == 2 && informer.Get("ns", "c")?.Spec?.Size == 9 && informer.Get("ns", "b") is not null,
            "the informer to converge after a relist");
        Assert.Null(informer.Get("ns", "a"));
        Assert.Equal(2, informer.ListCount);
        Assert.Equal(["Added:a", "Added:c", "Added:b", "Modified:c", "Deleted:a"], seen);
    }

    [Fact]
    public async Task Informer_backs_off_and_retries_failed_lists()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(Widget.Make("ns", "a"));
        server.InjectFailures(3, 500, "GET");
        var errors = new ConcurrentQueue<Exception>();
        await using var informer = new Informer<Widget>(server.Client, "ns", options: new InformerOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            OnError = errors.Enqueue,
        });
        informer.Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal(500, Assert.IsType<KubeApiException>(e).StatusCode));
        Assert.Single(informer.Items);
    }

    [Fact]
    public async Task Handler_exceptions_do_not_stop_the_informer()
    {
        await using var server = await FakeApiServer.StartAsync();
        var errors = new ConcurrentQueue<Exception>();
        var names = new ConcurrentQueue<string>();
        await using var informer = new Informer<V1ConfigMap>(server.Client, "ns", "app=kafka", new InformerOptions { OnError = errors.Enqueue });
        informer.AddHandler(e => e.Object!.Metadata.Name == "bad" ? throw new InvalidOperationException("boom") : Task.CompletedTask);
        informer.AddHandler(e =>
        {
            names.Enqueue(e.Object!.Metadata.Name!);
            return Task.CompletedTask;
        });
        informer.Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var labels = new Dictionary<string, string> { ["app"] = "kafka" };
        await server.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "bad", Labels = labels } });
        await server.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "unlabelled" } });
        await server.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { NamespaceProperty = "ns", Name = "good", Labels = labels } });
        await Poll.UntilAsync(() => names.Count == 2, "both labelled config maps");
        Assert.Equal(["bad", "good"], names);
        Assert.IsType<InvalidOperationException>(Assert.Single(errors));
    }
}
