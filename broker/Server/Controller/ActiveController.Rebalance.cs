using KafkaOperator.Quorum;

namespace KafkaOperator.Server.Controller;

/// <summary>Automatic leader rebalancing (<see cref="LeaderRebalancer"/>), run by the controller's loop when nothing more urgent is pending.</summary>
public sealed partial class ActiveController
{
    private readonly LeaderRebalancer _rebalancer = new();

    private async Task RebalanceIfDueAsync(int epoch, long leaderForMs, CancellationToken token)
    {
        // Read on every pass: all three keys are dynamic cluster configs.
        if (!_config.GetBool("auto.leader.rebalance.enable"))
            return;
        var intervalMs = Math.Max(1, _config.GetLong("leader.imbalance.check.interval.seconds")) * 1000;
        if (!_rebalancer.Due(epoch, leaderForMs, intervalMs))
            return;
        var image = _store.Image;
        var changes = LeaderRebalancer.Choose(image, _config.GetInt("leader.imbalance.per.broker.percentage"));
        if (changes.Count == 0)
            return;
        var brokers = string.Join(", ", changes.Select(c => c.Leader).Distinct().Order());
        Log.Info($"controller: leader imbalance above leader.imbalance.per.broker.percentage; moving {changes.Count} partition(s) back to their preferred leader(s) {brokers}");
        ApplyResult result;
        try
        {
            result = await _store.ProposeAsync(new BatchRecord([.. changes]), token).ConfigureAwait(false);
        }
        catch (QuorumException)
        {
            _rebalancer.RetrySoon();
            throw;
        }
        if (result.Error != Protocol.ErrorCode.None)
        {
            // A partition changed under the decision (an ISR change, say): decide again on the next pass rather
            // than a whole interval later.
            Log.Info($"controller: the preferred leader elections did not apply ({result.Error}: {result.Message}); checking again");
            _rebalancer.RetrySoon();
        }
    }
}
