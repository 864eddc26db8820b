using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    /// <summary>
    /// ElectLeaders: a preferred or unclean election for each of <paramref name="partitions"/> (null: every
    /// partition; the broker then leaves out those that need none). Sent to the controller Metadata names; a
    /// NOT_CONTROLLER answer (the controller moved) refreshes the metadata and retries. Per-partition outcomes carry
    /// Kafka's errors (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
    /// UNKNOWN_TOPIC_OR_PARTITION); a whole-request error throws.
    /// </summary>
    public async Task<IReadOnlyList<ElectionResult>> ElectLeadersAsync(ElectionType type, IReadOnlyCollection<TopicPartition>? partitions,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var topics = partitions?.GroupBy(p => p.Topic, StringComparer.Ordinal)
            .Select(g => new ElectLeadersRequest.ElectLeadersTopic { Topic = g.Key, PartitionId = [.. g.Select(p => p.Partition).Distinct()] })
            .ToList();
        // Unclean elections need v1 (KIP-460); v0 is always preferred.
        var versions = type == ElectionType.Unclean ? new ApiVersionRange(1, 2) : new ApiVersionRange(0, 2);
        var response = await Cluster.ExecuteAsync(async ct =>
        {
            var connection = await Cluster.GetControllerConnectionAsync(ct).ConfigureAwait(false);
            if (!connection.SupportsApi(ApiKey.ElectLeaders))
            {
                throw new KafkaException(ErrorCode.UnsupportedVersion, $"Broker {connection.Endpoint} does not implement ElectLeaders.");
            }

            var answer = await connection.SendAsync<ElectLeadersRequest, ElectLeadersResponse>(_ => new ElectLeadersRequest
            {
                ElectionType = (sbyte)type,
                TopicPartitions = topics,
                TimeoutMs = TimeoutMs(timeout),
            }, versions, ct).ConfigureAwait(false);
            var notController = (ErrorCode)answer.ErrorCode == ErrorCode.NotController
                || (answer.ReplicaElectionResults.Count > 0 && answer.ReplicaElectionResults.All(t => t.PartitionResult.All(p => (ErrorCode)p.ErrorCode == ErrorCode.NotController)));
            return notController
                ? throw new KafkaException(ErrorCode.NotController, $"Broker {connection.BrokerId} is not the active controller.")
                : answer;
        }, refreshTopics: [], cancellationToken).ConfigureAwait(false);

        if (Error(response.ErrorCode, null) is { } error)
        {
            throw error;
        }

        var results = response.ReplicaElectionResults
            .SelectMany(t => t.PartitionResult.Select(p => new ElectionResult(t.Topic, p.PartitionId, Error(p.ErrorCode, p.ErrorMessage))))
            .ToList();
        if (partitions is null)
        {
            return results.OrderBy(r => r.Topic, StringComparer.Ordinal).ThenBy(r => r.Partition).ToList();
        }

        // One result per requested partition, in the caller's order.
        var byPartition = results.GroupBy(r => new TopicPartition(r.Topic, r.Partition)).ToDictionary(g => g.Key, g => g.First());
        return partitions.Distinct().Select(p => byPartition.TryGetValue(p, out var r)
            ? r
            : new ElectionResult(p.Topic, p.Partition, Missing($"{p.Topic}-{p.Partition}"))).ToList();
    }

    /// <summary>
    /// DescribeLogDirs on every live broker (or those in <paramref name="brokerIds"/>): each log dir with the replicas
    /// it holds, their sizes and offset lags. A broker that cannot be asked gives one entry with its error and no path.
    /// </summary>
    public async Task<IReadOnlyList<LogDirDescription>> DescribeLogDirsAsync(IReadOnlyCollection<int>? brokerIds = null,
        IReadOnlyCollection<TopicPartition>? partitions = null, CancellationToken cancellationToken = default)
    {
        var ids = brokerIds ?? (await DescribeClusterAsync(cancellationToken).ConfigureAwait(false)).Brokers.Select(b => b.NodeId).ToList();
        var topics = partitions?.GroupBy(p => p.Topic, StringComparer.Ordinal)
            .Select(g => new DescribeLogDirsRequest.DescribableLogDirTopic { Topic = g.Key, Partitions = [.. g.Select(p => p.Partition).Distinct()] })
            .ToList();
        var perBroker = await Task.WhenAll(ids.Distinct().Order().Select(id => DescribeBrokerLogDirsAsync(id, topics, cancellationToken))).ConfigureAwait(false);
        return perBroker.SelectMany(d => d).ToList();
    }

    private async Task<IReadOnlyList<LogDirDescription>> DescribeBrokerLogDirsAsync(int brokerId, List<DescribeLogDirsRequest.DescribableLogDirTopic>? topics,
        CancellationToken cancellationToken)
    {
        try
        {
            var response = await Cluster.ExecuteAsync(async ct =>
            {
                var connection = await Cluster.GetConnectionAsync(brokerId, ct).ConfigureAwait(false);
                if (!connection.SupportsApi(ApiKey.DescribeLogDirs))
                {
                    throw new KafkaException(ErrorCode.UnsupportedVersion, $"Broker {brokerId} does not implement DescribeLogDirs.");
                }

                return await connection.SendAsync<DescribeLogDirsRequest, DescribeLogDirsResponse>(new DescribeLogDirsRequest { Topics = topics },
                    (ApiVersionRange?)null, ct).ConfigureAwait(false);
            }, refreshTopics: [], cancellationToken).ConfigureAwait(false);
            if (Error(response.ErrorCode, null) is { } error)
            {
                return [new LogDirDescription(brokerId, "", [], -1, -1, error)];
            }

            return response.Results.Select(r => new LogDirDescription(brokerId, r.LogDir,
                r.Topics.SelectMany(t => t.Partitions.Select(p => new ReplicaLogInfo(t.Name, p.PartitionIndex, p.PartitionSize, p.OffsetLag, p.IsFutureKey))).ToList(),
                r.TotalBytes, r.UsableBytes, Error(r.ErrorCode, null))).ToList();
        }
        catch (Exception ex) when (ex is KafkaException or KafkaConnectionException)
        {
            var error = ex as KafkaException ?? new KafkaException(ErrorCode.NetworkException, ex.Message);
            return [new LogDirDescription(brokerId, "", [], -1, -1, error)];
        }
    }
}
