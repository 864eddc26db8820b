using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Replication;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// Fetch 4–16, sessionless (SessionId 0: clients keep sending full requests). Records are file slices written
/// into the socket pipe as they are on disk. Long polling: when less than MinBytes is available the request
/// waits on the partitions' append signals (no polling) until enough data arrives, MaxWaitMs passes, or the broker
/// stops. Topic ids from v13. A fetch from a follower (ReplicaId, or ReplicaState from v15) reads up to the log end
/// instead of the high watermark, moves the leader's view of that follower (and so the HW and the ISR), and gets a
/// DivergingEpoch when its log has gone past where its last epoch ended here. From v11 consumers may read from a
/// follower too (KIP-392, up to the follower's HW), and with replica.selector.class a leader sends a consumer in
/// another rack to an in-sync replica in its own (FetchHandler.ReadReplica.cs).
/// </summary>
public sealed partial class FetchHandler(BrokerServices services) : ApiHandler<FetchRequest, FetchResponse>
{
    public override ApiKey ApiKey => ApiKey.Fetch;

    public override short MinVersion => 4;

    public override short MaxVersion => 16;

    protected override ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request)
    {
        if (request.SessionId != 0)
        {
            return new(new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 });
        }
        var version = context.Version;
        var replicaId = version >= 15 ? request.ReplicaState.ReplicaId : request.ReplicaId;
        var replicaError = replicaId >= 0 ? CheckReplica(replicaId, version >= 15 ? request.ReplicaState.ReplicaEpoch : -1) : ErrorCode.None;
        var now = Environment.TickCount64;
        var plan = new List<Entry>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                var partition = Lookup(topic, p.Partition, version, fromFollowerAllowed: replicaId < 0 && version >= 11);
                var error = ErrorCode.None;
                FetchResponse.EpochEndOffset? diverging = null;
                if (partition is null)
                {
                    error = version < 13 ? services.Replicas.MissingError(topic.Topic, p.Partition)
                        : services.Metadata.Image.Topic(topic.TopicId) is null ? ErrorCode.UnknownTopicId : services.Replicas.MissingError(topic.TopicId, p.Partition);
                }
                else if (p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch != partition.LeaderEpoch)
                {
                    error = p.CurrentLeaderEpoch > partition.LeaderEpoch ? ErrorCode.UnknownLeaderEpoch : ErrorCode.FencedLeaderEpoch;
                }
                else if (replicaId >= 0)
                {
                    error = replicaError != ErrorCode.None ? replicaError : FollowerFetch(partition, replicaId, p, now, out diverging);
                }
                var preferred = error == ErrorCode.None && replicaId < 0 && partition is not null
                    ? PreferredReadReplica(partition, request.RackId, p.FetchOffset, version, now) : -1;
                var throttled = replicaId >= 0 && error == ErrorCode.None && partition is not null
                    && services.LeaderQuota.IsThrottled(partition, services.Config.NodeId, inSync: Array.IndexOf(partition.Role.Isr, replicaId) >= 0);
                plan.Add(new Entry(topic, p, error == ErrorCode.None ? partition : null, error, replicaId >= 0, diverging, throttled, preferred));
            }
        }

        request.MaxBytes = Math.Min(request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes, services.Config.FetchMaxBytes);
        var quota = services.LeaderQuota;
        var first = Read(plan, request, version, quota, out var bytes, out var hasError);
        if (request.MaxWaitMs <= 0 || bytes >= Math.Max(1, request.MinBytes) || hasError || plan.Count == 0)
            return new(Count(first, replicaId >= 0));
        return CountAsync(LongPollAsync(context, request, plan, version, quota), replicaId >= 0);
    }

    private async ValueTask<FetchResponse?> CountAsync(ValueTask<FetchResponse?> pending, bool replica) => Count(await pending.ConfigureAwait(false), replica);

    /// <summary>BytesOut and failed fetches of the final response (a long poll's earlier reads are not sent).</summary>
    private FetchResponse? Count(FetchResponse? response, bool replica)
    {
        if (response is null || replica)
            return response; // replication traffic is not BytesOut, as in Kafka
        foreach (var topic in response.Responses)
        {
            Metrics.TopicCounters? stats = null;
            foreach (var p in topic.Partitions)
            {
                if (p.ErrorCode is (short)ErrorCode.UnknownTopicOrPartition or (short)ErrorCode.UnknownTopicId)
                    continue;
                stats ??= services.TopicStats.For(topic.Topic.Length > 0 ? topic.Topic : services.Metadata.Image.Topic(topic.TopicId)?.Name ?? "");
                if (p.ErrorCode == 0)
                    stats.Fetched(p.Records?.SizeInBytes ?? 0);
                else
                    stats.FetchFailed();
            }
        }
        return response;
    }

    /// <summary>
    /// A fetch that claims to come from replica <paramref name="replicaId"/> must come from a registered, live broker
    /// (with its current broker epoch when it sends one, v15+): a client posing as a replica gets nothing beyond the HW.
    /// </summary>
    private ErrorCode CheckReplica(int replicaId, long replicaEpoch)
    {
        var image = services.Metadata.Image;
        if (!image.Brokers.TryGetValue(replicaId, out var broker) || replicaId == services.Config.NodeId)
            return ErrorCode.NotLeaderOrFollower;
        return replicaEpoch >= 0 && replicaEpoch != broker.Epoch ? ErrorCode.StaleBrokerEpoch : ErrorCode.None;
    }

    /// <summary>
    /// The leader's side of a follower's fetch: records its position (moving the HW and maybe the ISR) and, when the
    /// follower's last fetched epoch ends earlier here than its log does, tells it where to truncate (KIP-320).
    /// Public so that the replication simulation in the tests runs this very check.
    /// </summary>
    public static ErrorCode FollowerFetch(Partition partition, int replicaId, FetchRequest.FetchPartition p, long now, out FetchResponse.EpochEndOffset? diverging)
    {
        diverging = null;
        if (p.LastFetchedEpoch >= 0)
        {
            var (epoch, end) = partition.Log.EndOffsetForEpoch(p.LastFetchedEpoch);
            if (epoch >= 0 && end >= 0 && (epoch < p.LastFetchedEpoch || end < p.FetchOffset))
            {
                diverging = new FetchResponse.EpochEndOffset { Epoch = epoch, EndOffset = end };
                return partition.IsLeader ? ErrorCode.None : ErrorCode.NotLeaderOrFollower;
            }
        }
        return partition.UpdateFollowerFetch(replicaId, p.FetchOffset, now, p.LogStartOffset);
    }

    private static async ValueTask<FetchResponse?> LongPollAsync(RequestContext context, FetchRequest request, List<Entry> plan, short version, ReplicationQuota quota)
    {
        var waits = new Task[plan.Count + 1];
        var throttled = plan.Any(e => e.Throttled);
        // One timer for the whole wait. A wake-up that brings too little (a high-watermark move, another
        // follower's fetch) goes back to waiting: only MaxWaitMs or the broker stopping end the wait without data,
        // as a Kafka leader holds a follower's fetch until replica.fetch.min.bytes are there.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
        var deadline = Task.Delay(TimeSpan.FromMilliseconds(request.MaxWaitMs), timeout.Token);
        try
        {
            while (true)
            {
                for (var i = 0; i < plan.Count; i++)
                    waits[i] = plan[i].Partition?.Signal.WaitAsync() ?? Task.CompletedTask;
                var response = Read(plan, request, version, quota, out var bytes, out var hasError);
                if (bytes >= request.MinBytes || hasError || deadline.IsCompleted)
                    return response;
                // A throttled follower is answered as soon as the bucket refills, not at the end of its wait:
                // waiting longer than that would hold the move below its rate.
                Task timer = deadline;
                if (throttled && quota.TimeUntilAvailable() is { TotalMilliseconds: > 0 } refill)
                    timer = Task.WhenAny(deadline, Task.Delay(refill, timeout.Token));
                waits[plan.Count] = timer;
                await Task.WhenAny(waits).ConfigureAwait(false);
            }
        }
        finally
        {
            timeout.Cancel(); // the timer (and a refill's) go now, not at MaxWaitMs
        }
    }

    private static FetchResponse Read(List<Entry> plan, FetchRequest request, short version, ReplicationQuota quota, out long totalBytes, out bool hasError)
    {
        var response = new FetchResponse { SessionId = 0 };
        FetchResponse.FetchableTopicResponse? current = null;
        FetchRequest.FetchTopic? currentTopic = null;
        var budget = (long)(request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes);
        totalBytes = 0;
        hasError = false;
        var minOne = true;
        foreach (var entry in plan)
        {
            if (!ReferenceEquals(entry.Topic, currentTopic))
            {
                currentTopic = entry.Topic;
                current = new FetchResponse.FetchableTopicResponse { Topic = entry.Topic.Topic, TopicId = entry.Topic.TopicId };
                response.Responses.Add(current);
            }
            var data = new FetchResponse.PartitionData
            {
                PartitionIndex = entry.Request.Partition,
                HighWatermark = -1,
                LastStableOffset = -1,
                LogStartOffset = -1,
                AbortedTransactions = request.IsolationLevel == 0 ? null : [],
                Records = MemoryRecordSet.Empty,
            };
            current!.Partitions.Add(data);
            if (entry.Partition is not { } partition)
            {
                data.ErrorCode = (short)entry.Error;
                hasError = true;
                continue;
            }
            if (entry.Diverging is { } diverging)
            {
                data.DivergingEpoch = diverging;
                data.HighWatermark = partition.HighWatermark;
                data.LastStableOffset = data.HighWatermark;
                data.LogStartOffset = partition.LogStartOffset;
                hasError = true; // answer at once: the follower must truncate before anything else
                continue;
            }
            if (entry.PreferredReadReplica >= 0)
            {
                // No records: the consumer moves to that replica (Kafka answers at once, with the leader's offsets).
                data.PreferredReadReplica = entry.PreferredReadReplica;
                data.HighWatermark = partition.HighWatermark;
                data.LastStableOffset = data.HighWatermark;
                data.LogStartOffset = partition.LogStartOffset;
                hasError = true;
                continue;
            }
            if (entry.Throttled && quota.IsExceeded())
            {
                // Leader throttle: nothing for this follower until the bucket refills (Kafka answers it empty too).
                data.HighWatermark = partition.HighWatermark;
                data.LastStableOffset = data.HighWatermark;
                data.LogStartOffset = partition.LogStartOffset;
                continue;
            }
            try
            {
                var maxBytes = (int)Math.Min(Math.Max(0, entry.Request.PartitionMaxBytes), budget);
                // Followers copy the whole log; consumers see only what the ISR has (below the HW).
                var upTo = entry.Replica ? long.MaxValue : partition.HighWatermark;
                var read = partition.Log.Read(entry.Request.FetchOffset, maxBytes, upTo, minOne);
                data.ErrorCode = (short)read.Error;
                data.HighWatermark = read.HighWatermark;
                data.LastStableOffset = read.HighWatermark;
                data.LogStartOffset = read.LogStartOffset;
                if (read.Error != ErrorCode.None)
                {
                    hasError = true;
                    continue;
                }
                // A follower below a log start it can move to is answered now: DeleteRecords waits for it.
                if (entry.Replica && partition.FollowerBehindLogStart(entry.Request.LogStartOffset, entry.Request.FetchOffset))
                    hasError = true;
                var size = read.Records.SizeInBytes;
                if (size > 0)
                {
                    data.Records = read.Records;
                    if (entry.Throttled)
                        quota.Record(size);
                    totalBytes += size;
                    budget -= size;
                    minOne = false;
                }
            }
            catch (Exception ex) when (ex is KafkaStorageException or IOException)
            {
                Log.Error($"fetch from {partition.Topic}-{partition.Index} failed", ex);
                data.ErrorCode = (short)ErrorCode.KafkaStorageError;
                hasError = true;
            }
            catch (ObjectDisposedException)
            {
                data.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                hasError = true;
            }
        }
        return response;
    }

    private sealed record Entry(FetchRequest.FetchTopic Topic, FetchRequest.FetchPartition Request, Partition? Partition, ErrorCode Error,
        bool Replica = false, FetchResponse.EpochEndOffset? Diverging = null, bool Throttled = false, int PreferredReadReplica = -1);
}
