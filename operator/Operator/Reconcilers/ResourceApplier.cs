using System.Reflection;
using KafkaOperator.Kube;
using KafkaOperator.Kube.Models;
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
/// must be absent and leaves alone what already matches (so a steady-state reconcile makes no writes).
/// </summary>
public sealed class ResourceApplier(IKubeClient client, string fieldManager = ResourceApplier.DefaultFieldManager)
{
    public const string DefaultFieldManager = "kafka-operator";

    private static readonly MethodInfo ApplyOpen = typeof(ResourceApplier).GetMethod(nameof(ApplyTypedAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;

    public Task<ApplyAction> ApplyAsync(DesiredObject desired, string? ns, CancellationToken ct)
        => (Task<ApplyAction>)ApplyOpen.MakeGenericMethod(desired.ResourceType).Invoke(this, [desired, ns, ct])!;

    private async Task<ApplyAction> ApplyTypedAsync<T>(DesiredObject desired, string? ns, CancellationToken ct) where T : KubeObject, new()
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
        var typed = OperatorJson.FromNode<T>(desired.Body);
        if (existing is null)
        {
            try
            {
                await client.CreateAsync(typed, ct).ConfigureAwait(false);
                return ApplyAction.Created;
            }
            catch (KubeApiException e) when (e.StatusCode == 409)
            {
                // Created concurrently (or by a previous pass whose response was lost): fall through to apply.
            }
        }
        else if (OperatorJson.IsSubset(desired.Body, OperatorJson.ToNode(existing)))
        {
            return ApplyAction.Unchanged;
        }
        await client.ApplyAsync(typed, fieldManager, force: true, ct).ConfigureAwait(false);
        return ApplyAction.Patched;
    }
}
