using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Network;

/// <summary>
/// Sends per-partition work to each partition's leader (one request per leader, leaders in parallel) and retries
/// the partitions whose result or request failed with a retriable error after refreshing their topics' metadata.
/// </summary>
public static class PartitionRouter
{
    public static async Task<Dictionary<(string Topic, int Partition), T>> SendByLeaderAsync<T>(KafkaCluster cluster,
        IEnumerable<(string Topic, int Partition)> partitions,
        Func<KafkaConnection, IReadOnlyList<(string Topic, int Partition)>, CancellationToken, Task<Dictionary<(string Topic, int Partition), T>>> send,
        Func<T, ErrorCode> errorOf,
        Func<(string Topic, int Partition), KafkaException, T> failed,
        CancellationToken cancellationToken = default)
    {
        var results = new Dictionary<(string Topic, int Partition), T>();
        var pending = partitions.Distinct().ToList();
        var maxRetries = cluster.Options.MaxRetries;
        for (var attempt = 0; pending.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(cluster.Backoff(attempt - 1), cancellationToken).ConfigureAwait(false);
                try
                {
                    await cluster.RefreshMetadataAsync(pending.Select(p => p.Topic).Distinct().ToList(), cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (KafkaCluster.IsRetriable(ex))
                {
                    // The attempt below fails the same way and uses up the retry budget.
                }
            }

            var canRetry = attempt < maxRetries;
            var retry = new List<(string Topic, int Partition)>();
            var byLeader = new Dictionary<int, List<(string Topic, int Partition)>>();
            foreach (var tp in pending)
            {
                try
                {
                    var leader = await cluster.GetLeaderAsync(tp.Topic, tp.Partition, cancellationToken).ConfigureAwait(false);
                    if (!byLeader.TryGetValue(leader, out var list))
                    {
                        byLeader[leader] = list = [];
                    }

                    list.Add(tp);
                }
                catch (KafkaException ex) when (ex.IsRetriable && canRetry)
                {
                    retry.Add(tp);
                }
                catch (KafkaException ex)
                {
                    results[tp] = failed(tp, ex);
                }
            }

            var gate = new Lock();
            await Task.WhenAll(byLeader.Select(async kv =>
            {
                try
                {
                    var connection = await cluster.GetConnectionAsync(kv.Key, cancellationToken).ConfigureAwait(false);
                    var answered = await send(connection, kv.Value, cancellationToken).ConfigureAwait(false);
                    lock (gate)
                    {
                        foreach (var tp in kv.Value)
                        {
                            if (!answered.TryGetValue(tp, out var result))
                            {
                                results[tp] = failed(tp, new KafkaException(ErrorCode.UnknownServerError,
                                    $"Broker {kv.Key} returned no result for {tp.Topic}-{tp.Partition}."));
                            }
                            else if (canRetry && KafkaException.IsRetriableCode(errorOf(result)))
                            {
                                retry.Add(tp);
                            }
                            else
                            {
                                results[tp] = result;
                            }
                        }
                    }
                }
                catch (Exception ex) when (KafkaCluster.IsRetriable(ex) || ex is KafkaException)
                {
                    // A leader the broker list does not name (metadata caught between a broker's fencing and its
                    // partitions' new leaders) is a leader not available yet: retried like one, as Kafka's clients do.
                    if (ex is KafkaException { Code: ErrorCode.BrokerNotAvailable } missing)
                        ex = new KafkaException(ErrorCode.LeaderNotAvailable, missing.Message, missing);
                    lock (gate)
                    {
                        foreach (var tp in kv.Value)
                        {
                            if (canRetry && KafkaCluster.IsRetriable(ex))
                            {
                                retry.Add(tp);
                            }
                            else
                            {
                                results[tp] = failed(tp, ex as KafkaException
                                    ?? new KafkaException(ErrorCode.NetworkException, ex.Message, ex));
                            }
                        }
                    }
                }
            })).ConfigureAwait(false);

            pending = retry;
        }

        return results;
    }
}
