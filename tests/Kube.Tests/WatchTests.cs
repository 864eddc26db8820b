using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube.Tests;

public sealed class WatchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Watch_delivers_added_modified_deleted_and_bookmarks()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var list = await client.ListAsync<Widget>("ns");
        using var cts = new CancellationTokenSource(Deadline);
        await using var events = client.WatchAsync<Widget>("ns", list.Metadata.ResourceVersion, ct: cts.Token).GetAsyncEnumerator(cts.Token);

        var widget = await client.CreateAsync(Widget.Make("ns", "w"));
        await client.CreateAsync(Widget.Make("other", "elsewhere"));
        widget.Spec!.Size = 5;
        await client.ReplaceAsync(widget);
        await client.DeleteAsync<Widget>("ns", "w");

        var added = await NextAsync(events);
        Assert.Equal(WatchEventType.Added, added.Type);
        Assert.Equal("w", added.Object!.Metadata.Name);
        Assert.Equal("Widget", added.Object.Kind);
        var modified = await NextAsync(events);
        Assert.Equal(WatchEventType.Modified, modified.Type);
        Assert.Equal(5, modified.Object!.Spec!.Size);
        var deleted = await NextAsync(events);
        Assert.Equal(WatchEventType.Deleted, deleted.Type);
        Assert.Equal("w", deleted.Object!.Metadata.Name);

        server.SendBookmarks();
        var bookmark = await NextAsync(events);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmark.Object!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_current_objects()
    {
        await using var server = await FakeApiServer.StartAsync();
        await server.Client.CreateAsync(Widget.Make("ns", "a"));
        await server.Client.CreateAsync(Widget.Make("ns", "b"));
        using var cts = new CancellationTokenSource(Deadline);
        await using var events = server.Client.WatchAsync<Widget>("ns", null, ct: cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.Equal("a", (await NextAsync(events)).Object!.Metadata.Name);
        Assert.Equal("b", (await NextAsync(events)).Object!.Metadata.Name);
    }

    [Fact]
    public async Task Watch_with_selector_turns_relabels_into_added_and_deleted()
    {
        await using var server = await FakeApiServer.StartAsync();
        var client = server.Client;
        var start = (await client.ListAsync<Widget>("ns")).Metadata.ResourceVersion;
        using var cts = new CancellationTokenSource(Deadline);
        await using var events = client.WatchAsync<Widget>("ns", start, "app=kafka", ct: cts.Token).GetAsyncEnumerator(cts.Token);

        var widget = await client.CreateAsync(Widget.Make("ns", "w", labels: new() { ["app"] = "other" }));
        widget.Metadata.Labels!["app"] = "kafka";
        widget = await client.ReplaceAsync(widget);
        widget.Metadata.Labels!["app"] = "gone";
        await client.ReplaceAsync(widget);

        Assert.Equal(WatchEventType.Added, (await NextAsync(events)).Type);
        Assert.Equal(WatchEventType.Deleted, (await NextAsync(events)).Type);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Watch_from_a_compacted_resource_version_is_410(bool asHttpStatus)
    {
        await using var server = await FakeApiServer.StartAsync(new FakeApiServerOptions { ExpiredWatchAsHttpStatus = asHttpStatus });
        var old = (await server.Client.CreateAsync(Widget.Make("ns", "a"))).Metadata.ResourceVersion;
        await server.Client.CreateAsync(Widget.Make("ns", "b"));
        server.CompactHistory();
        using var cts = new CancellationTokenSource(Deadline);
        var error = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in server.Client.WatchAsync<Widget>("ns", old, ct: cts.Token))
            {
            }
        });
        Assert.Equal(410, error.StatusCode);
        Assert.True(error.IsGone);
    }

    [Fact]
    public async Task Watch_ends_when_the_server_times_it_out()
    {
        await using var server = await FakeApiServer.StartAsync();
        using var cts = new CancellationTokenSource(Deadline);
        var count = 0;
        await foreach (var _ in server.Client.WatchAsync<Widget>("ns", "0", timeoutSeconds: 1, ct: cts.Token))
        {
            count++;
        }
        Assert.Equal(0, count);
        Assert.False(cts.IsCancellationRequested);
    }

    internal static async Task<WatchEvent<T>> NextAsync<T>(IAsyncEnumerator<WatchEvent<T>> events)
    {
        Assert.True(await events.MoveNextAsync(), "the watch ended early");
        return events.Current;
    }
}
