using k8s;

namespace KafkaOperator.Kube.Watch;

/// <summary>One watch event. For <see cref="WatchEventType.Bookmark"/> the object carries only metadata.resourceVersion.</summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Object);
