using k8s;
using k8s.Models;
using KafkaOperator.Kube.Events;
using KafkaOperator.Operator.Reconcilers;

namespace KafkaOperator.Operator.Hosting;

/// <summary>Events through Kube's EventRecorder (best effort: recording failures never fail a reconcile).</summary>
public sealed class KubeEventSink(EventRecorder recorder) : IEventSink
{
    public Task RecordAsync(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, CancellationToken ct) =>
        recorder.RecordAsync(involved, type, reason, message, ct);
}
