using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Operator.Reconcilers;

public sealed partial class KafkaTopicAdmin
{
    public Task<int> ElectPreferredLeadersAsync(string bootstrap, IReadOnlyCollection<(string Topic, int Partition)> partitions, CancellationToken ct) =>
        partitions.Count == 0 ? Task.FromResult(0) : RunAsync(bootstrap, async a =>
        {
            var results = await a.ElectLeadersAsync(ElectionType.Preferred, partitions.Select(p => new TopicPartition(p.Topic, p.Partition)).ToList(),
                cancellationToken: ct).ConfigureAwait(false);
            // Not needed (it leads already) and not available (out of the ISR for now) are outcomes, not failures.
            if (results.FirstOrDefault(r => r.Error is { Code: not (ErrorCode.ElectionNotNeeded or ErrorCode.PreferredLeaderNotAvailable) }) is { } failed)
            {
                ThrowIf(failed.Error);
            }
            return results.Count(r => r.Succeeded);
        });
}
