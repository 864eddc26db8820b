using k8s;
using k8s.Models;
using KafkaOperator.Kube.Events;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

public sealed class EventRecorderTests
{
    [Fact]
    public async Task Records_an_event_on_the_involved_object()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var widget = await server.Client.CreateAsync(Widget.Make("kafka", "cluster-a"));
        var recorder = new EventRecorder(server.Client, "kafka-operator", "pod-0", clock);

        await recorder.NormalAsync(widget, "Provisioned", "created 3 brokers");

        var recorded = Assert.Single((await server.Client.ListAsync<Corev1Event>("kafka")).Items);
        Assert.Equal("Widget", recorded.InvolvedObject.Kind);
        Assert.Equal("test.example.com/v1", recorded.InvolvedObject.ApiVersion);
        Assert.Equal("cluster-a", recorded.InvolvedObject.Name);
        Assert.Equal("kafka", recorded.InvolvedObject.NamespaceProperty);
        Assert.Equal(widget.Metadata.Uid, recorded.InvolvedObject.Uid);
        Assert.Equal(EventTypes.Normal, recorded.Type);
        Assert.Equal("Provisioned", recorded.Reason);
        Assert.Equal("created 3 brokers", recorded.Message);
        Assert.Equal("kafka-operator", recorded.Source!.Component);
        Assert.Equal(1, recorded.Count);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, recorded.FirstTimestamp);
        Assert.StartsWith("cluster-a.", recorded.Metadata.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeats_bump_the_count_and_different_events_stay_apart()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var widget = await server.Client.CreateAsync(Widget.Make("kafka", "cluster-a"));
        var recorder = new EventRecorder(server.Client, "kafka-operator", time: clock);

        await recorder.WarningAsync(widget, "BrokerDown", "broker 1 is not ready");
        clock.Advance(TimeSpan.FromSeconds(30));
        await recorder.WarningAsync(widget, "BrokerDown", "broker 1 is not ready");
        await recorder.WarningAsync(widget, "BrokerDown", "broker 1 is not ready");
        await recorder.NormalAsync(widget, "BrokerDown", "broker 1 is not ready");

        var events = (await server.Client.ListAsync<Corev1Event>("kafka")).Items;
        Assert.Equal(2, events.Count);
        var warning = Assert.Single(events, e => e.Type == EventTypes.Warning);
        Assert.Equal(3, warning.Count);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, warning.LastTimestamp);
        Assert.Equal((clock.GetUtcNow() - TimeSpan.FromSeconds(30)).UtcDateTime, warning.FirstTimestamp);

        // An expired (deleted) event is recreated rather than lost.
        await server.Client.DeleteAsync<Corev1Event>("kafka", warning.Metadata.Name!);
        await recorder.WarningAsync(widget, "BrokerDown", "broker 1 is not ready");
        Assert.Equal(1, Assert.Single((await server.Client.ListAsync<Corev1Event>("kafka")).Items, e => e.Type == EventTypes.Warning).Count);
    }

    [Fact]
    public async Task Recording_failures_are_reported_not_thrown()
    {
        await using var server = await FakeApiServer.StartAsync();
        var errors = new List<Exception>();
        var recorder = new EventRecorder(server.Client, "kafka-operator", onError: errors.Add);
        var namespaceObject = await server.Client.CreateAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kafka" } });
        server.InjectFailures(1, 500, "POST", "/events");
        await recorder.NormalAsync(namespaceObject, "Seen", "cluster-scoped objects record into default");
        Assert.Equal(500, Assert.IsType<KubeApiException>(Assert.Single(errors)).StatusCode);

        await recorder.NormalAsync(namespaceObject, "Seen", "cluster-scoped objects record into default");
        Assert.Single((await server.Client.ListAsync<Corev1Event>("default")).Items);
        await Assert.ThrowsAsync<ArgumentException>(() => recorder.RecordAsync(namespaceObject, "Info", "r", "m"));
    }
}
