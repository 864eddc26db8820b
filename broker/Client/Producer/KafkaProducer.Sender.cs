using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Producer;

public sealed partial class KafkaProducer
{
    private readonly Dictionary<int, SemaphoreSlim> _brokerSlots = [];

    private async Task SendLoopAsync()
    {
        while (true)
        {
            var stopping = _stop.IsCancellationRequested;
            try
            {
                if (!stopping)
                {
                    await _wakeup.WaitAsync(NextWait(), _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                stopping = true;
            }

            Interlocked.Exchange(ref _wakeRequested, 0);
            var flush = Interlocked.Exchange(ref _flushRequested, 0) == 1 || stopping;
            var sendable = Collect(flush);
            if (sendable.Count > 0)
            {
                await DispatchAsync(sendable).ConfigureAwait(false);
            }

            if (stopping)
            {
                FailAll(new ObjectDisposedException(nameof(KafkaProducer), "The producer was disposed before these records were sent."));
                return;
            }
        }
    }

    /// <summary>Time until the oldest open batch's linger expires (infinite when nothing is buffered).</summary>
    private TimeSpan NextWait()
    {
        var next = TimeSpan.MaxValue;
        var now = DateTime.UtcNow;
        foreach (var batches in _partitions.Values)
        {
            lock (batches.Gate)
            {
                if (batches.OpenCount > 0)
                {
                    var due = batches.OpenedAt + Options.Linger - now;
                    next = due < next ? due : next;
                }
            }
        }

        return next == TimeSpan.MaxValue ? Timeout.InfiniteTimeSpan : next < TimeSpan.Zero ? TimeSpan.Zero : next;
    }

    /// <summary>Seals lingered (or, on flush, all) open batches and takes the head batch of each idle partition.</summary>
    private List<(PartitionBatches Owner, ReadyBatch Batch)> Collect(bool flush)
    {
        var now = DateTime.UtcNow;
        var sendable = new List<(PartitionBatches, ReadyBatch)>();
        foreach (var batches in _partitions.Values)
        {
            lock (batches.Gate)
            {
                if (batches.OpenCount > 0 && (flush || now - batches.OpenedAt >= Options.Linger))
                {
                    batches.Seal(ProducerId, ProducerEpoch);
                }

                if (!batches.Sending && batches.Ready.TryPeek(out var head))
                {
                    batches.Sending = true;
                    sendable.Add((batches, head));
                }
            }
        }

        return sendable;
    }

    private async Task DispatchAsync(List<(PartitionBatches Owner, ReadyBatch Batch)> sendable)
    {
        var byLeader = new Dictionary<int, List<(PartitionBatches, ReadyBatch)>>();
        foreach (var item in sendable)
        {
            try
            {
                var leader = await Cluster.GetLeaderAsync(item.Batch.Topic, item.Batch.Partition, _stop.Token).ConfigureAwait(false);
                if (!byLeader.TryGetValue(leader, out var list))
                {
                    byLeader[leader] = list = [];
                }

                list.Add(item);
            }
            catch (OperationCanceledException)
            {
                Finish(item.Owner, item.Batch, new ObjectDisposedException(nameof(KafkaProducer)));
            }
            catch (Exception ex)
            {
                // No leader known yet (metadata caught mid-move, a topic a restarted broker has not loaded): retried
                // after a refresh, off the send loop so other partitions go on.
                _ = RetryOrFailAsync(item.Owner, item.Batch, ex);
            }
        }

        foreach (var (leader, batches) in byLeader)
        {
            _ = SendToLeaderAsync(leader, batches);
        }
    }

    private async Task SendToLeaderAsync(int leader, List<(PartitionBatches Owner, ReadyBatch Batch)> batches)
    {
        SemaphoreSlim slots;
        lock (_brokerSlots)
        {
            if (!_brokerSlots.TryGetValue(leader, out slots!))
            {
                _brokerSlots[leader] = slots = new SemaphoreSlim(Options.MaxInFlightPerBroker);
            }
        }

        await slots.WaitAsync().ConfigureAwait(false);
        try
        {
            var request = new ProduceRequest
            {
                Acks = Options.Acks,
                TimeoutMs = (int)Options.AckTimeout.TotalMilliseconds,
                TopicData = batches.GroupBy(b => b.Batch.Topic).Select(g => new ProduceRequest.TopicProduceData
                {
                    Name = g.Key,
                    PartitionData = g.Select(b => new ProduceRequest.PartitionProduceData
                    {
                        Index = b.Batch.Partition,
                        Records = new MemoryRecordSet(b.Batch.Bytes),
                    }).ToList(),
                }).ToList(),
            };
            var connection = await Cluster.GetConnectionAsync(leader).ConfigureAwait(false);
            var version = connection.PickVersion<ProduceRequest>();
            if (Options.Acks == 0)
            {
                await connection.SendWithoutResponseAsync(request, version).ConfigureAwait(false);
                foreach (var (owner, batch) in batches)
                {
                    Finish(owner, batch, null, new BatchOutcome(-1, -1));
                }

                return;
            }

            var response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request, version).ConfigureAwait(false);
            foreach (var (owner, batch) in batches)
            {
                var result = response.Responses.FirstOrDefault(t => t.Name == batch.Topic)?.PartitionResponses
                    .FirstOrDefault(p => p.Index == batch.Partition);
                if (result is null)
                {
                    Finish(owner, batch, new KafkaException(ErrorCode.UnknownServerError,
                        $"Broker {leader} returned no result for {batch.Topic}-{batch.Partition}."));
                }
                else if (result.ErrorCode != 0)
                {
                    await RetryOrFailAsync(owner, batch, new KafkaException((ErrorCode)result.ErrorCode,
                        result.ErrorMessage ?? $"{batch.Topic}-{batch.Partition}")).ConfigureAwait(false);
                }
                else
                {
                    Finish(owner, batch, null, new BatchOutcome(result.BaseOffset, result.LogAppendTimeMs));
                }
            }
        }
        catch (Exception ex)
        {
            await Task.WhenAll(batches.Select(b => RetryOrFailAsync(b.Owner, b.Batch, ex))).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task RetryOrFailAsync(PartitionBatches owner, ReadyBatch batch, Exception error)
    {
        // DuplicateSequenceNumber means an earlier attempt of this very batch was written.
        if (error is KafkaException { Code: ErrorCode.DuplicateSequenceNumber })
        {
            Finish(owner, batch, null, new BatchOutcome(-1, -1));
            return;
        }

        if (!IsRetriable(error) || batch.Attempts >= Options.Retries || DateTime.UtcNow - batch.OpenedAt >= Options.DeliveryTimeout
            || _stop.IsCancellationRequested)
        {
            Finish(owner, batch, error);
            return;
        }

        batch.Attempts++;
        try
        {
            await Task.Delay(Cluster.Backoff(batch.Attempts - 1), _stop.Token).ConfigureAwait(false);
            await Cluster.RefreshMetadataAsync([batch.Topic], _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException || KafkaCluster.IsRetriable(ex))
        {
            // Retried below (or failed by the send loop when stopping).
        }

        lock (owner.Gate)
        {
            owner.Sending = false;
        }

        Wake();
    }

    /// <summary>
    /// As the Java producer: errors a metadata refresh or time can fix, and a leader missing from the broker list
    /// (metadata caught between a broker's fencing and its partitions' new leaders), which Kafka's producer treats
    /// as an unknown leader to wait for.
    /// </summary>
    private static bool IsRetriable(Exception error) =>
        KafkaCluster.IsRetriable(error) || error is KafkaException { Code: ErrorCode.BrokerNotAvailable };

    private void Finish(PartitionBatches owner, ReadyBatch batch, Exception? error, BatchOutcome outcome = default)
    {
        lock (owner.Gate)
        {
            if (owner.Ready.TryPeek(out var head) && ReferenceEquals(head, batch))
            {
                owner.Ready.Dequeue();
            }

            owner.Sending = false;
        }

        if (error is null)
        {
            batch.Completion.TrySetResult(outcome);
        }
        else
        {
            RecordFireAndForgetError(batch, error);
            batch.Completion.TrySetException(error);
        }

        Wake();
    }

    private void FailAll(Exception error)
    {
        foreach (var owner in _partitions.Values)
        {
            List<ReadyBatch> failed;
            lock (owner.Gate)
            {
                owner.Seal(ProducerId, ProducerEpoch);
                failed = owner.Sending ? [.. owner.Ready.Skip(1)] : [.. owner.Ready];
            }

            foreach (var batch in failed)
            {
                RecordFireAndForgetError(batch, error);
                batch.Completion.TrySetException(error);
            }
        }
    }

    private void RecordFireAndForgetError(ReadyBatch batch, Exception error)
    {
        if (batch.HasFireAndForget)
        {
            Interlocked.CompareExchange(ref _firstError, error, null);
        }
    }
}
