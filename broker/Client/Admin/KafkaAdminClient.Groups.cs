using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    /// <summary>The broker coordinating <paramref name="groupId"/> (retries while the coordinator is loading).</summary>
    public Task<BrokerNode> FindCoordinatorAsync(string groupId, CancellationToken cancellationToken = default) =>
        Cluster.ExecuteAsync(async ct =>
        {
            var response = await Cluster.SendToAnyAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
                version => version >= 4
                    ? new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [groupId] }
                    : new FindCoordinatorRequest { Key = groupId, KeyType = 0 },
                cancellationToken: ct).ConfigureAwait(false);
            // v4+ answers per key in Coordinators; earlier versions in the top-level fields.
            var (error, message, node, host, port) = response.Coordinators.Count > 0
                ? (response.Coordinators[0].ErrorCode, response.Coordinators[0].ErrorMessage, response.Coordinators[0].NodeId,
                    response.Coordinators[0].Host, response.Coordinators[0].Port)
                : (response.ErrorCode, response.ErrorMessage, response.NodeId, response.Host, response.Port);
            KafkaException.ThrowIfError(error, message ?? $"No coordinator for group '{groupId}'.");
            return new BrokerNode(node, host, port, null);
        }, refreshTopics: [], cancellationToken);

    /// <summary>Groups known to every broker of the cluster (each broker lists the groups it coordinates).</summary>
    public async Task<IReadOnlyList<GroupListing>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        var metadata = await Cluster.RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
        var listings = new List<GroupListing>();
        foreach (var broker in metadata.Brokers)
        {
            var connection = await Cluster.GetConnectionAsync(broker.NodeId, cancellationToken).ConfigureAwait(false);
            var response = await connection.SendAsync<ListGroupsRequest, ListGroupsResponse>(new ListGroupsRequest(),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            KafkaException.ThrowIfError(response.ErrorCode, $"ListGroups failed on broker {broker.NodeId}.");
            listings.AddRange(response.Groups.Select(g => new GroupListing(g.GroupId, g.ProtocolType, g.GroupState, broker.NodeId)));
        }

        return listings.OrderBy(g => g.GroupId, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<GroupDescription>> DescribeGroupsAsync(IEnumerable<string> groupIds,
        CancellationToken cancellationToken = default)
    {
        var results = new List<GroupDescription>();
        foreach (var groupId in groupIds)
        {
            try
            {
                var coordinator = await FindCoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
                var response = await SendToCoordinatorAsync<DescribeGroupsRequest, DescribeGroupsResponse>(coordinator,
                    _ => new DescribeGroupsRequest { Groups = [groupId] }, cancellationToken).ConfigureAwait(false);
                var group = response.Groups.FirstOrDefault(g => g.GroupId == groupId);
                results.Add(group is null
                    ? new GroupDescription(groupId, "", "", "", [], coordinator.NodeId,
                        new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no result for '{groupId}'."))
                    : new GroupDescription(groupId, group.GroupState, group.ProtocolType, group.ProtocolData,
                        group.Members.Select(m => new GroupMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost)
                        {
                            Metadata = m.MemberMetadata,
                            Assignment = m.MemberAssignment,
                        }).ToList(),
                        coordinator.NodeId, Error(group.ErrorCode, $"Group '{groupId}'")));
            }
            catch (KafkaException ex)
            {
                results.Add(new GroupDescription(groupId, "", "", "", [], -1, ex));
            }
        }

        return results;
    }

    /// <summary>Committed offsets of a group, for the given partitions or (null) every partition it has offsets for.</summary>
    public async Task<IReadOnlyList<GroupOffset>> ListGroupOffsetsAsync(string groupId, IEnumerable<TopicPartition>? partitions = null,
        CancellationToken cancellationToken = default)
    {
        var topics = partitions?.GroupBy(p => p.Topic).Select(g => (Topic: g.Key, Partitions: g.Select(p => p.Partition).ToList())).ToList();
        // v8+ batches groups; earlier versions name one group at the top level.
        OffsetFetchRequest Build(short version) => version >= 8
            ? new OffsetFetchRequest
            {
                Groups =
                [
                    new OffsetFetchRequest.OffsetFetchRequestGroup
                    {
                        GroupId = groupId,
                        Topics = topics?.Select(t => new OffsetFetchRequest.OffsetFetchRequestTopics { Name = t.Topic, PartitionIndexes = t.Partitions }).ToList(),
                    },
                ],
            }
            : new OffsetFetchRequest
            {
                GroupId = groupId,
                Topics = topics?.Select(t => new OffsetFetchRequest.OffsetFetchRequestTopic { Name = t.Topic, PartitionIndexes = t.Partitions }).ToList(),
            };
        var coordinator = await FindCoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
        var response = await SendToCoordinatorAsync<OffsetFetchRequest, OffsetFetchResponse>(coordinator, Build, cancellationToken)
            .ConfigureAwait(false);
        var results = new List<GroupOffset>();
        if (response.Groups.Count > 0)
        {
            var group = response.Groups[0];
            KafkaException.ThrowIfError(group.ErrorCode, $"OffsetFetch for group '{groupId}' failed.");
            foreach (var topic in group.Topics)
            {
                results.AddRange(topic.Partitions.Select(p => new GroupOffset(new TopicPartition(topic.Name, p.PartitionIndex),
                    p.CommittedOffset, p.Metadata, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"))));
            }
        }
        else
        {
            KafkaException.ThrowIfError(response.ErrorCode, $"OffsetFetch for group '{groupId}' failed.");
            foreach (var topic in response.Topics)
            {
                results.AddRange(topic.Partitions.Select(p => new GroupOffset(new TopicPartition(topic.Name, p.PartitionIndex),
                    p.CommittedOffset, p.Metadata, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"))));
            }
        }

        return results.OrderBy(r => r.Partition.Topic, StringComparer.Ordinal).ThenBy(r => r.Partition.Partition).ToList();
    }

    /// <summary>
    /// Commits offsets for a group as an admin (no member, generation -1): the way offsets of an inactive group are
    /// reset. The coordinator rejects it (UnknownMemberId/RebalanceInProgress...) while the group has members.
    /// </summary>
    public async Task<IReadOnlyList<GroupOffset>> AlterGroupOffsetsAsync(string groupId, IReadOnlyDictionary<TopicPartition, long> offsets,
        CancellationToken cancellationToken = default)
    {
        var request = new OffsetCommitRequest
        {
            GroupId = groupId,
            GenerationIdOrMemberEpoch = -1,
            MemberId = "",
            Topics = offsets.GroupBy(kv => kv.Key.Topic).Select(g => new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = g.Key,
                Partitions = g.Select(kv => new OffsetCommitRequest.OffsetCommitRequestPartition
                {
                    PartitionIndex = kv.Key.Partition,
                    CommittedOffset = kv.Value,
                }).ToList(),
            }).ToList(),
        };
        var coordinator = await FindCoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
        var response = await SendToCoordinatorAsync<OffsetCommitRequest, OffsetCommitResponse>(coordinator, _ => request, cancellationToken)
            .ConfigureAwait(false);
        var errors = response.Topics.SelectMany(t => t.Partitions.Select(p => (Key: new TopicPartition(t.Name, p.PartitionIndex), p.ErrorCode)))
            .ToDictionary(x => x.Key, x => x.ErrorCode);
        return offsets.Select(kv => new GroupOffset(kv.Key, kv.Value, null, errors.TryGetValue(kv.Key, out var code)
            ? Error(code, $"Committing {kv.Key} for group '{groupId}'")
            : new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no result for {kv.Key}."))).ToList();
    }

    public async Task<IReadOnlyList<GroupResult>> DeleteGroupsAsync(IEnumerable<string> groupIds, CancellationToken cancellationToken = default)
    {
        var results = new List<GroupResult>();
        foreach (var groupId in groupIds)
        {
            try
            {
                var coordinator = await FindCoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
                var response = await SendToCoordinatorAsync<DeleteGroupsRequest, DeleteGroupsResponse>(coordinator,
                    _ => new DeleteGroupsRequest { GroupsNames = [groupId] }, cancellationToken).ConfigureAwait(false);
                var result = response.Results.FirstOrDefault(r => r.GroupId == groupId);
                results.Add(new GroupResult(groupId, result is null
                    ? new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no result for '{groupId}'.")
                    : Error(result.ErrorCode, $"Group '{groupId}'")));
            }
            catch (KafkaException ex)
            {
                results.Add(new GroupResult(groupId, ex));
            }
        }

        return results;
    }

    private async Task<TResponse> SendToCoordinatorAsync<TRequest, TResponse>(BrokerNode coordinator, Func<short, TRequest> build,
        CancellationToken cancellationToken)
        where TRequest : class
        where TResponse : class
    {
        if (Cluster.Metadata.Broker(coordinator.NodeId) is null)
        {
            await Cluster.RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
        }

        var connection = await Cluster.GetConnectionAsync(coordinator.NodeId, cancellationToken).ConfigureAwait(false);
        return await connection.SendAsync<TRequest, TResponse>(build, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
