namespace KafkaOperator.Server.Controller;

/// <summary>The active controller's part of partition reassignment: completing the ones whose target replicas are all in sync.</summary>
public sealed partial class ActiveController
{
    /// <summary>Proposes every completion the image allows, in one batch; true when there was one.</summary>
    private async Task<bool> CompleteReassignmentsAsync(Cluster.MetadataImage image, CancellationToken token)
    {
        var completions = ReassignmentRules.CompleteAll(image);
        if (completions.Count == 0)
            return false;
        foreach (var c in completions)
        {
            var name = image.Topic(c.TopicId)?.Name ?? c.TopicId.ToString();
            Log.Info($"controller: reassignment of {name}-{c.Partition} complete: replicas [{string.Join(',', c.Replicas ?? [])}]{(c.Leader is { } l ? $", leader {l}" : "")}");
        }
        await ProposeAsync(new BatchRecord([.. completions]), token).ConfigureAwait(false);
        return true;
    }
}
