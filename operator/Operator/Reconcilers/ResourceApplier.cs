using System.Collections.Concurrent;
using System.Reflection;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Models;

namespace KafkaOperator.Operator.Reconcilers;

public enum ApplyAction
{
    Unchanged,
    Created,
    Patched,
    Deleted,
}

/// <summary>
/// The one place that writes child objects: creates what is missing, server-side-applies what differs, deletes what
/// must be absent and leaves alone what already matches, so a steady-state reconcile makes no writes. "Matches" is
/// decided against what the server answered, not against the intent: the server defaults and normalises fields
/// (`cpu: 0.5` comes back as `500m`), so an intent is never compared with its own rendering. An object whose
/// resourceVersion is still the one the last apply of the same intent returned is unchanged; anything else
/// (another writer, a new intent, a restart of the operator) is applied, and server-side apply decides what changes.
/// </summary>
public sealed class ResourceApplier(IKubeClient client, string fieldManager = ResourceApplier.DefaultFieldManager)
{
    public const string DefaultFieldManager = "kafka-operator";

    private readonly ConcurrentDictionary<(Type, string?, string), (string Intent, string? ResourceVersion)> _applied = new();

    private static readonly MethodInfo ApplyOpen = typeof(ResourceApplier).GetMethod(nameof(ApplyTypedAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;

    public Task<ApplyAction> ApplyAsync(DesiredObject desired, string? ns, CancellationToken ct)
        => (Task<ApplyAction>)ApplyOpen.MakeGenericMethod(desired.ResourceType).Invoke(this, [desired, ns, ct])!;

    private async Task<ApplyAction> ApplyTypedAsync<T>(DesiredObject desired, string? ns, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var existing = await client.GetAsync<T>(ns, desired.Name, ct).ConfigureAwait(false);
        if (desired.Absent)
        {
            if (existing is null)
            {
                return ApplyAction.Unchanged;
            }
            await client.DeleteAsync<T>(ns, desired.Name, ct: ct).ConfigureAwait(false);
            return ApplyAction.Deleted;
        }
        var key = (typeof(T), ns, desired.Name);
        var intent = desired.Body.ToJsonString();
        if (existing is not null && _applied.TryGetValue(key, out var last) && last.Intent == intent && last.ResourceVersion == existing.Metadata?.ResourceVersion)
        {
            return ApplyAction.Unchanged;
        }
        // Apply also creates: the object then starts out owned by this field manager, as a later apply expects.
        var typed = OperatorJson.FromNode<T>(desired.Body);
        var applied = await client.ApplyAsync(typed, fieldManager, force: true, ct: ct).ConfigureAwait(false);
        _applied[key] = (intent, applied.Metadata?.ResourceVersion);
        if (existing is null)
        {
            return ApplyAction.Created;
        }
        // An apply that changed nothing keeps the resourceVersion: the server found the object as intended.
        return applied.Metadata?.ResourceVersion == existing.Metadata?.ResourceVersion ? ApplyAction.Unchanged : ApplyAction.Patched;
    }
}
