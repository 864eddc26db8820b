using System.Threading.Channels;
using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Replication;

/// <summary>What a leader does with a pending ISR change the controller did not accept (see <see cref="AlterPartitionSender.AfterError"/>).</summary>
public enum PendingIsrAction
{
    /// <summary>Nothing was applied: forget the change and decide again.</summary>
    Revert,

    /// <summary>Decided on a stale state: keep it pending until the metadata brings the partition's newer state.</summary>
    AwaitMetadata,

    /// <summary>The outcome is unknown: keep it pending and ask again.</summary>
    Retry,
}

/// <summary>
/// The leaders' ISR change requests, sent as AlterPartition to the active controller (as Kafka's
/// AlterPartitionManager), batched: whatever is queued when a send starts goes in one request. The outcome reaches
/// the partition as committed metadata; a refusal that applied nothing clears the partition's pending change so that
/// it decides again from the state it has then, a change whose outcome is unknown is sent again (<see cref="AfterError"/>).
/// Also runs the leaders' ISR shrink check every half replica.lag.time.max.ms, as Kafka's isr-expiration task.
/// Exception policy: connection failures and errors are logged at INFO and the change is sent again after a pause.
/// </summary>
public sealed class AlterPartitionSender : IIsrChangeChannel, IAsyncDisposable
{
    private static readonly ApiVersionRange Versions = new(2, 3);

    /// <summary>Between attempts at a change whose outcome is unknown (Kafka's retry.backoff.ms default).</summary>
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(100);

    private readonly BrokerConfig _config;
    private readonly IMetadataStore _store;
    private readonly Func<int, BrokerAddress?> _resolve;
    private readonly Func<long> _brokerEpoch;
    private readonly Func<IEnumerable<Partition>> _hosted;
    private readonly Func<MetadataImage, int> _controllerOf;
    private readonly Channel<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> _queue =
        Channel.CreateUnbounded<(Partition, ReplicaRole, int[])>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task? _sender;
    private Task? _expiry;
    private KafkaConnection? _connection;
    private int _connectionBroker = -1;

    /// <param name="controllerOf">Where AlterPartition goes: the active controller, or the broker standing in for a controller-only one.</param>
    public AlterPartitionSender(BrokerConfig config, IMetadataStore store, Func<int, BrokerAddress?> resolve, Func<long> brokerEpoch, Func<IEnumerable<Partition>> hosted,
        Func<MetadataImage, int> controllerOf)
    {
        _config = config;
        _store = store;
        _resolve = resolve;
        _brokerEpoch = brokerEpoch;
        _hosted = hosted;
        _controllerOf = controllerOf;
    }

    public void Start()
    {
        _sender = Task.Run(SendLoopAsync);
        _expiry = Task.Run(ExpiryLoopAsync);
    }

    /// <summary>
    /// Holds every ISR change request (they stay pending, so none is made) while set: for tests that drive
    /// AlterPartition by hand and must not race the leaders' own requests.
    /// </summary>
    public bool Paused { get; set; }

    public bool IsEligible(int brokerId) =>
        _store.Image.IsEligibleReplica(brokerId);

    public bool IsAlive(int brokerId) =>
        _store.Image.Brokers.TryGetValue(brokerId, out var broker) && !broker.Fenced;

    public void Submit(Partition partition, ReplicaRole basedOn, int[] newIsr)
    {
        if (!Paused)
            _queue.Writer.TryWrite((partition, basedOn, newIsr));
    }

    private async Task ExpiryLoopAsync()
    {
        var maxLag = _config.GetLong("replica.lag.time.max.ms");
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(10, maxLag / 2)), token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                foreach (var p in _hosted())
                    p.MaybeShrinkIsr(now, maxLag);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var token = _stopping.Token;
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                var batch = new List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)>();
                while (reader.TryRead(out var item))
                    batch.Add(item);
                await SendAsync(batch, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SendAsync(List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> batch, CancellationToken token)
    {
        try
        {
            var controller = _controllerOf(_store.Image);
            var connection = await ConnectAsync(controller, token).ConfigureAwait(false);
            if (connection is null)
            {
                RetryLater(batch, $"no controller to send to (controller id {controller})");
                return;
            }
            var epoch = _brokerEpoch();
            var image = _store.Image;
            var response = await connection.SendAsync<AlterPartitionRequest, AlterPartitionResponse>(version => Build(version, batch, epoch, image), Versions, token)
                .ConfigureAwait(false);
            if (response.ErrorCode != 0)
            {
                var error = (ErrorCode)response.ErrorCode;
                switch (AfterError(error))
                {
                    case PendingIsrAction.Revert:
                        Fail(batch, $"the controller answered {error}");
                        break;
                    case PendingIsrAction.Retry:
                        RetryLater(batch, $"the controller answered {error}");
                        break;
                }
                return;
            }
            var retry = new List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)>();
            foreach (var topic in response.Topics)
            {
                foreach (var p in topic.Partitions)
                {
                    if (p.ErrorCode == 0)
                        continue;
                    var error = (ErrorCode)p.ErrorCode;
                    foreach (var item in batch.Where(b => b.Partition.TopicId == topic.TopicId && b.Partition.Index == p.PartitionIndex))
                    {
                        Log.Info($"ISR change of {item.Partition.Topic}-{item.Partition.Index} to [{string.Join(',', item.NewIsr)}] refused: {error}");
                        switch (AfterError(error))
                        {
                            case PendingIsrAction.Revert:
                                item.Partition.ClearPendingIsr(item.BasedOn.PartitionEpoch);
                                break;
                            case PendingIsrAction.Retry:
                                retry.Add(item);
                                break;
                        }
                    }
                }
            }
            if (retry.Count > 0)
                RetryLater(retry, "refused for now");
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            // Whatever failed, the request may have been committed: ask again (the partitions keep the change pending
            // meanwhile); unexpected failures are bugs, at WARN.
            if (ex is not (KafkaConnectionException or KafkaException or TimeoutException or IOException or OperationCanceledException))
                Log.Warn($"AlterPartition send failed: {ex.GetType().Name}: {ex.Message}");
            await DropAsync().ConfigureAwait(false);
            RetryLater(batch, ex.Message);
        }
    }

    /// <summary>
    /// What a leader does with its pending ISR change after an error, as Kafka's Partition.handleAlterPartitionError.
    /// Only a refusal that guarantees nothing was applied reverts it. Otherwise the change may have been committed (an
    /// answer lost, a timeout, a controller change) and the leader must keep computing its HW over the maximal ISR
    /// until it knows: had it gone back to the smaller ISR, its HW would pass records a follower the controller did add
    /// lacks, and that follower can be elected (found by the replication simulation: records read below the HW of a
    /// leader cut off from the controller disappeared). Stale epochs wait for the metadata, which brings the outcome
    /// (applying it clears the pending change); anything else is asked again.
    /// </summary>
    public static PendingIsrAction AfterError(ErrorCode error) => error switch
    {
        ErrorCode.IneligibleReplica or ErrorCode.OperationNotAttempted or ErrorCode.InvalidRequest => PendingIsrAction.Revert,
        ErrorCode.FencedLeaderEpoch or ErrorCode.InvalidUpdateVersion or ErrorCode.UnknownTopicOrPartition or ErrorCode.UnknownTopicId => PendingIsrAction.AwaitMetadata,
        _ => PendingIsrAction.Retry,
    };

    /// <summary>Sends the changes again after a pause, those still pending (metadata may have settled them meanwhile).</summary>
    private void RetryLater(List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> items, string why)
    {
        Log.Info($"ISR change of {items.Count} partition(s) not settled: {why}; asking again");
        _ = ResendAsync(items, _stopping.Token);
    }

    private async Task ResendAsync(List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> items, CancellationToken token)
    {
        try
        {
            await Task.Delay(RetryBackoff, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        foreach (var item in items)
        {
            if (!Paused && ReferenceEquals(item.Partition.PendingIsr, item.NewIsr))
                _queue.Writer.TryWrite(item);
        }
    }

    private static AlterPartitionRequest Build(short version, List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> batch, long epoch, MetadataImage image)
    {
        var request = new AlterPartitionRequest { BrokerId = batch[0].Partition.LocalBrokerId, BrokerEpoch = epoch };
        foreach (var group in batch.GroupBy(b => b.Partition.TopicId))
        {
            var topic = version >= 2
                ? new AlterPartitionRequest.TopicData { TopicId = group.Key }
                : new AlterPartitionRequest.TopicData { TopicName = group.First().Partition.Topic };
            foreach (var (partition, basedOn, newIsr) in group)
            {
                topic.Partitions.Add(new AlterPartitionRequest.PartitionData
                {
                    PartitionIndex = partition.Index,
                    LeaderEpoch = basedOn.LeaderEpoch,
                    PartitionEpoch = basedOn.PartitionEpoch,
                    NewIsr = version < 3 ? [.. newIsr] : [],
                    NewIsrWithEpochs = version >= 3
                        ? [.. newIsr.Select(b => new AlterPartitionRequest.BrokerState
                        {
                            BrokerId = b,
                            BrokerEpoch = image.Brokers.TryGetValue(b, out var info) ? info.Epoch : -1,
                        })]
                        : [],
                });
            }
            request.Topics.Add(topic);
        }
        return request;
    }

    private static void Fail(List<(Partition Partition, ReplicaRole BasedOn, int[] NewIsr)> batch, string why)
    {
        Log.Info($"ISR change of {batch.Count} partition(s) refused: {why}; deciding again later");
        foreach (var item in batch)
            item.Partition.ClearPendingIsr(item.BasedOn.PartitionEpoch);
    }

    private async Task<KafkaConnection?> ConnectAsync(int controller, CancellationToken token)
    {
        if (controller < 0)
            return null;
        if (_connection is { IsConnected: true } open && _connectionBroker == controller)
            return open;
        await DropAsync().ConfigureAwait(false);
        if (_resolve(controller) is not { } address)
            return null;
        _connection = await KafkaConnection.ConnectAsync(address.Host, address.Port, new KafkaConnectionOptions
        {
            ClientId = $"broker-{_config.NodeId}-alter-partition",
            RequestTimeout = TimeSpan.FromMilliseconds(_config.GetInt("request.timeout.ms")),
        }, token).ConfigureAwait(false);
        _connectionBroker = controller;
        return _connection;
    }

    private async Task DropAsync()
    {
        var c = _connection;
        _connection = null;
        _connectionBroker = -1;
        if (c is not null)
            await c.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var t in new[] { _sender, _expiry })
        {
            if (t is null)
                continue;
            try
            {
                await t.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
        await DropAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
