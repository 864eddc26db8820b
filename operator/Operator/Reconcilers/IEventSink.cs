using k8s;
using k8s.Models;
using KafkaOperator.Kube;

namespace KafkaOperator.Operator.Reconcilers;

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>Records Kubernetes Events on an object. Failures to record are logged, never fatal to a reconcile.</summary>
public interface IEventSink
{
    Task RecordAsync(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, CancellationToken ct);
}

/// <summary>Keeps events in memory (tests) and forwards to an optional inner sink.</summary>
public sealed class MemoryEventSink(IEventSink? inner = null) : IEventSink
{
    private readonly List<(string Object, string Type, string Reason, string Message)> _events = [];

    public IReadOnlyList<(string Object, string Type, string Reason, string Message)> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, CancellationToken ct)
    {
        lock (_events)
        {
            _events.Add(($"{involved.Kind}/{involved.Metadata.Name}", type, reason, message));
        }
        if (inner is not null)
        {
            await inner.RecordAsync(involved, type, reason, message, ct).ConfigureAwait(false);
        }
    }
}
