using System.Diagnostics;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// What the metadata quorum's leader does as the active controller, on every published image and every heartbeat
/// interval: fences brokers that stopped fetching (with the leaderships and ISR memberships that move off them, in
/// one batch, so no committed image has a fenced leader), elects leaders for partitions that have none, and unfences
/// brokers that fetch again once they lead nothing. Only this loop decides leaders and ISRs; brokers apply what is
/// committed. Every decision is re-derived from the latest image, so a lost proposal is simply decided again.
/// Exception policy: a proposal that fails (leadership lost, quorum slow, a stale partition epoch) is logged and the
/// next pass decides again from the newer image.
/// </summary>
public sealed partial class ActiveController : IAsyncDisposable
{
    private readonly BrokerConfig _config;
    private readonly QuorumMetadataStore _store;
    private readonly Func<LeaderAndEpoch> _leader;
    private readonly Func<IReadOnlyList<VoterState>> _voters;
    private readonly BrokerLiveness _liveness;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;

    public ActiveController(BrokerConfig config, QuorumMetadataStore store, Func<LeaderAndEpoch> leader, Func<IReadOnlyList<VoterState>> voters)
    {
        _config = config;
        _store = store;
        _leader = leader;
        _voters = voters;
        _liveness = new BrokerLiveness(config.NodeId, config.BrokerSessionTimeoutMs, config.BrokerHeartbeatIntervalMs);
    }

    public void Start()
    {
        _store.Changed += OnChanged;
        _loop ??= Task.Run(LoopAsync);
        // The first pass now, not a heartbeat tick later: the image that registered this node is already published.
        Wake();
    }

    /// <summary>Any change may call for a decision; the pass itself reads the latest image, so the delta is not needed.</summary>
    private void OnChanged(MetadataImage image, MetadataDelta delta) => Wake();

    /// <summary>Asks for a pass now rather than at the next tick (a pending wake-up covers any number of calls).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is pending already; one pass sees every change.
        }
    }

    private async Task LoopAsync()
    {
        var led = default(LeaderAndEpoch);
        var leaderSince = Stopwatch.StartNew();
        var token = _stopping.Token;
        var tick = TimeSpan.FromMilliseconds(Math.Max(10, _config.BrokerHeartbeatIntervalMs / 2));
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(tick, token).ConfigureAwait(false);
                var leader = _leader();
                if (leader != led)
                {
                    led = leader;
                    leaderSince.Restart();
                }
                if (leader.LeaderId != _config.NodeId)
                    continue;
                await PassAsync(leader.Epoch, leaderSince.ElapsedMilliseconds, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is QuorumException or MetadataStoreException or OperationCanceledException)
            {
                Log.Info($"controller: {ex.Message}");
            }
        }
    }

    /// <summary>One round of decisions on the current image.</summary>
    private async Task PassAsync(int epoch, long leaderForMs, CancellationToken token)
    {
        var image = _store.Image;
        var liveness = _liveness.Decide(image, _voters(), leaderForMs);
        var fences = liveness.OfType<FenceBrokerRecord>().ToList();
        if (fences.Count > 0)
        {
            var machine = new MetadataStateMachine(image);
            foreach (var fence in fences)
                machine.Apply(fence, -1);
            var after = machine.ToImage(image.ControllerId);
            var moves = PartitionElection.DecideAll(after, UncleanAllowed);
            Log.Info($"controller: fencing broker(s) {string.Join(", ", fences.Select(f => f.BrokerId))}; {moves.Count} partition(s) change leader or ISR (decided t={Log.Micros()})");
            LogUnclean(moves, after);
            await ProposeAsync(new BatchRecord(PartitionChanges.Compact([.. fences, .. moves])), token).ConfigureAwait(false);
            return;
        }
        var changes = PartitionElection.DecideAll(image, UncleanAllowed);
        if (changes.Count > 0)
        {
            LogUnclean(changes, image);
            await ProposeAsync(new BatchRecord(PartitionChanges.Compact(changes)), token).ConfigureAwait(false);
            return;
        }
        if (await CompleteReassignmentsAsync(image, token).ConfigureAwait(false))
            return;
        // A restarted broker stays fenced until its old leaderships have moved (new leader epochs) first.
        var unfences = liveness.OfType<UnfenceBrokerRecord>().Where(u => !image.LeadsAny(u.BrokerId)).ToList();
        if (unfences.Count > 0)
        {
            // With the leaders it makes possible (partitions whose only live in-sync replica it is), in one batch:
            // a broker is never seen unfenced yet kept from leading what it alone can lead.
            var machine = new MetadataStateMachine(image);
            foreach (var unfence in unfences)
                machine.Apply(unfence, -1);
            var after = machine.ToImage(image.ControllerId);
            var elections = PartitionElection.DecideAll(after, UncleanAllowed);
            LogUnclean(elections, after);
            Log.Info($"controller: unfencing broker(s) {string.Join(", ", unfences.Select(u => u.BrokerId))}; {elections.Count} partition(s) change leader or ISR");
            await ProposeAsync(new BatchRecord(PartitionChanges.Compact([.. unfences, .. elections])), token).ConfigureAwait(false);
        }
        await RebalanceIfDueAsync(epoch, leaderForMs, token).ConfigureAwait(false);
    }

    private async Task ProposeAsync(MetadataRecord record, CancellationToken token)
    {
        var result = await _store.ProposeAsync(record, token).ConfigureAwait(false);
        if (result.Error != Protocol.ErrorCode.None)
            Log.Info($"controller: a decision did not apply ({result.Error}: {result.Message}); deciding again");
    }

    private bool UncleanAllowed(TopicMetadata topic) =>
        string.Equals(TopicConfig.Create(_config, topic.Configs).Value("unclean.leader.election.enable"), "true", StringComparison.OrdinalIgnoreCase);

    private static void LogUnclean(List<PartitionChangeRecord> changes, MetadataImage image)
    {
        foreach (var c in changes.Where(c => c.Unclean))
        {
            var name = image.Topic(c.TopicId)?.Name ?? c.TopicId.ToString();
            Log.Warn($"controller: UNCLEAN leader election for {name}-{c.Partition}: broker {c.Leader} was not in sync; records acknowledged by the lost in-sync replicas may be gone (unclean.leader.election.enable=true)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= OnChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        _wake.Dispose();
    }
}
