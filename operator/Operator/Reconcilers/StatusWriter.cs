using k8s;
using k8s.Models;
using KafkaOperator.Kube;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>Writes the status subresource, re-reading the object and retrying on a stale resourceVersion (409).</summary>
public static class StatusWriter
{
    public static async Task<T> WriteAsync<T>(IKubeClient client, T obj, Action<T> setStatus, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var current = obj;
        for (var attempt = 0; ; attempt++)
        {
            setStatus(current);
            try
            {
                return await client.ReplaceStatusAsync(current, ct).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.StatusCode == 409 && attempt < 4)
            {
                current = await client.GetAsync<T>(obj.Metadata.NamespaceProperty, obj.Metadata.Name!, ct).ConfigureAwait(false)
                    ?? throw new KubeApiException(404, "NotFound", $"{typeof(T).Name} {obj.Metadata.Name} disappeared while writing status");
            }
        }
    }
}
