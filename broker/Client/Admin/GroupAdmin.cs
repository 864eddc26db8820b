using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

/// <summary>
/// Consumer-group administration: every call but ListGroups goes to the group's coordinator, found with
/// FindCoordinator, and is retried (after a broker-list refresh) when the coordinator moved or is still loading.
/// Per-group operations report a group's own error in its result; a coordinator that cannot be found after the
/// retries is reported the same way.
/// </summary>
public sealed partial class KafkaAdminClient
{
    private static readonly ApiVersionRange OffsetFetchVersions = new(2, 9);
    private static readonly ApiVersionRange OffsetCommitVersions = new(2, 9);

    /// <summary>The broker coordinating <paramref name="groupId"/>.</summary>
    public Task<BrokerNode> FindGroupCoordinatorAsync(string groupId, CancellationToken cancellationToken = default) =>
        Cluster.ExecuteAsync(ct => FindCoordinatorOnceAsync(groupId, ct), refreshTopics: [], cancellationToken);

    /// <summary>Groups known to every broker of the cluster (each broker lists the groups it coordinates).</summary>
    public async Task<IReadOnlyList<GroupListing>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        var metadata = await Cluster.RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
        var groups = new Dictionary<string, GroupListing>(StringComparer.Ordinal);
        foreach (var broker in metadata.Brokers)
        {
            var response = await Cluster.ExecuteAsync(async ct =>
            {
                var connection = await Cluster.GetConnectionAsync(broker.NodeId, ct).ConfigureAwait(false);
                var r = await connection.SendAsync<ListGroupsRequest, ListGroupsResponse>(new ListGroupsRequest(),
                    (ApiVersionRange?)null, ct).ConfigureAwait(false);
                KafkaException.ThrowIfError(r.ErrorCode, $"ListGroups on broker {broker.NodeId}");
                return r;
            }, refreshTopics: [], cancellationToken).ConfigureAwait(false);
            foreach (var g in response.Groups)
            {
                groups[g.GroupId] = new GroupListing(g.GroupId, g.ProtocolType, g.GroupState, g.GroupType, broker.NodeId);
            }
        }

        return groups.Values.OrderBy(g => g.GroupId, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<GroupDescription>> DescribeGroupsAsync(IEnumerable<string> groupIds,
        CancellationToken cancellationToken = default)
    {
        var results = new List<GroupDescription>();
        foreach (var groupId in groupIds)
        {
            try
            {
                results.Add(await WithCoordinatorAsync(groupId, async (connection, coordinator, ct) =>
                {
                    var response = await connection.SendAsync<DescribeGroupsRequest, DescribeGroupsResponse>(
                        new DescribeGroupsRequest { Groups = [groupId] }, (ApiVersionRange?)null, ct).ConfigureAwait(false);
                    var g = response.Groups.FirstOrDefault(g => g.GroupId == groupId)
                        ?? throw new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no result for group '{groupId}'.");
                    ThrowIfCoordinatorMoved(g.ErrorCode, groupId);
                    var members = g.Members.Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId,
                        m.ClientHost, m.MemberMetadata, m.MemberAssignment)).ToList();
                    return new GroupDescription(groupId, g.GroupState, g.ProtocolType, g.ProtocolData, members, coordinator,
                        Error(g.ErrorCode, $"Group '{groupId}'"));
                }, cancellationToken).ConfigureAwait(false));
            }
            catch (KafkaException ex)
            {
                results.Add(new GroupDescription(groupId, "", "", "", [], null, ex));
            }
        }

        return results;
    }

    public async Task<GroupDescription> DescribeGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        (await DescribeGroupsAsync([groupId], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Committed offsets of a group (OffsetFetch): of the given partitions, or of every partition it has committed
    /// when <paramref name="partitions"/> is null. Partitions without a commit have offset -1. Throws for a
    /// group-level error.
    /// </summary>
    public Task<IReadOnlyList<GroupOffset>> ListGroupOffsetsAsync(string groupId, IReadOnlyCollection<TopicPartition>? partitions = null,
        CancellationToken cancellationToken = default) =>
        WithCoordinatorAsync<IReadOnlyList<GroupOffset>>(groupId, async (connection, _, ct) =>
        {
            var version = connection.PickVersion<OffsetFetchRequest>(OffsetFetchVersions);
            var request = new OffsetFetchRequest();
            if (version >= 8)
            {
                request.Groups = [new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = groupId,
                    Topics = partitions?.GroupBy(p => p.Topic).Select(g => new OffsetFetchRequest.OffsetFetchRequestTopics
                    {
                        Name = g.Key,
                        PartitionIndexes = g.Select(p => p.Partition).ToList(),
                    }).ToList(),
                }];
            }
            else
            {
                request.GroupId = groupId;
                request.Topics = partitions?.GroupBy(p => p.Topic).Select(g => new OffsetFetchRequest.OffsetFetchRequestTopic
                {
                    Name = g.Key,
                    PartitionIndexes = g.Select(p => p.Partition).ToList(),
                }).ToList();
            }

            var response = await connection.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(request, version, ct).ConfigureAwait(false);
            var offsets = new List<GroupOffset>();
            if (version >= 8)
            {
                var group = response.Groups.FirstOrDefault(g => g.GroupId == groupId)
                    ?? throw new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no result for group '{groupId}'.");
                ThrowIfCoordinatorMoved(group.ErrorCode, groupId);
                KafkaException.ThrowIfError(group.ErrorCode, $"Offsets of group '{groupId}'");
                foreach (var topic in group.Topics)
                {
                    offsets.AddRange(topic.Partitions.Select(p => new GroupOffset(new TopicPartition(topic.Name, p.PartitionIndex),
                        p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"))));
                }
            }
            else
            {
                ThrowIfCoordinatorMoved(response.ErrorCode, groupId);
                KafkaException.ThrowIfError(response.ErrorCode, $"Offsets of group '{groupId}'");
                foreach (var topic in response.Topics)
                {
                    offsets.AddRange(topic.Partitions.Select(p => new GroupOffset(new TopicPartition(topic.Name, p.PartitionIndex),
                        p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"))));
                }
            }

            return offsets.OrderBy(o => o.Partition.Topic, StringComparer.Ordinal).ThenBy(o => o.Partition.Partition).ToList();
        }, cancellationToken);

    /// <summary>
    /// Commits offsets for a group as an admin (generation -1, no member id), which brokers accept only while the
    /// group has no active members. Per-partition errors.
    /// </summary>
    public Task<IReadOnlyList<GroupPartitionResult>> AlterGroupOffsetsAsync(string groupId, IReadOnlyDictionary<TopicPartition, long> offsets,
        CancellationToken cancellationToken = default) =>
        WithCoordinatorAsync<IReadOnlyList<GroupPartitionResult>>(groupId, async (connection, _, ct) =>
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
            var response = await connection.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(request, OffsetCommitVersions, ct)
                .ConfigureAwait(false);
            var answered = new Dictionary<TopicPartition, GroupPartitionResult>();
            foreach (var topic in response.Topics)
            {
                foreach (var p in topic.Partitions)
                {
                    ThrowIfCoordinatorMoved(p.ErrorCode, groupId);
                    var tp = new TopicPartition(topic.Name, p.PartitionIndex);
                    answered[tp] = new GroupPartitionResult(tp, Error(p.ErrorCode, $"Commit of {tp} for group '{groupId}'"));
                }
            }

            return offsets.Keys.Select(tp => answered.TryGetValue(tp, out var r)
                ? r
                : new GroupPartitionResult(tp, Missing(tp.ToString()))).ToList();
        }, cancellationToken);

    /// <summary>Deletes groups with their committed offsets; brokers refuse (NonEmptyGroup) while a group has members.</summary>
    public async Task<IReadOnlyList<GroupResult>> DeleteGroupsAsync(IEnumerable<string> groupIds, CancellationToken cancellationToken = default)
    {
        var results = new List<GroupResult>();
        foreach (var groupId in groupIds)
        {
            try
            {
                results.Add(await WithCoordinatorAsync(groupId, async (connection, _, ct) =>
                {
                    var response = await connection.SendAsync<DeleteGroupsRequest, DeleteGroupsResponse>(
                        new DeleteGroupsRequest { GroupsNames = [groupId] }, (ApiVersionRange?)null, ct).ConfigureAwait(false);
                    var r = response.Results.FirstOrDefault(r => r.GroupId == groupId);
                    if (r is null)
                    {
                        return new GroupResult(groupId, Missing(groupId));
                    }

                    ThrowIfCoordinatorMoved(r.ErrorCode, groupId);
                    return new GroupResult(groupId, Error(r.ErrorCode, $"Group '{groupId}'"));
                }, cancellationToken).ConfigureAwait(false));
            }
            catch (KafkaException ex)
            {
                results.Add(new GroupResult(groupId, ex));
            }
        }

        return results;
    }

    public async Task<GroupResult> DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        (await DeleteGroupsAsync([groupId], cancellationToken).ConfigureAwait(false))[0];

    private Task<T> WithCoordinatorAsync<T>(string groupId, Func<KafkaConnection, BrokerNode, CancellationToken, Task<T>> send,
        CancellationToken cancellationToken) =>
        Cluster.ExecuteAsync(async ct =>
        {
            var coordinator = await FindCoordinatorOnceAsync(groupId, ct).ConfigureAwait(false);
            if (Cluster.Metadata.Broker(coordinator.NodeId) is null)
            {
                await Cluster.RefreshMetadataAsync([], ct).ConfigureAwait(false);
            }

            var connection = await Cluster.GetConnectionAsync(coordinator.NodeId, ct).ConfigureAwait(false);
            return await send(connection, coordinator, ct).ConfigureAwait(false);
        }, refreshTopics: [], cancellationToken);

    private async Task<BrokerNode> FindCoordinatorOnceAsync(string groupId, CancellationToken cancellationToken)
    {
        var connection = await Cluster.GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        var version = connection.PickVersion<FindCoordinatorRequest>();
        var request = version >= 4
            ? new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [groupId] }
            : new FindCoordinatorRequest { KeyType = 0, Key = groupId };
        var response = await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(request, version, cancellationToken)
            .ConfigureAwait(false);
        if (version >= 4)
        {
            var c = response.Coordinators.FirstOrDefault(c => c.Key == groupId)
                ?? throw new KafkaException(ErrorCode.UnknownServerError, $"The broker's response has no coordinator for group '{groupId}'.");
            KafkaException.ThrowIfError(c.ErrorCode, $"Coordinator of group '{groupId}'{Detail(c.ErrorMessage)}");
            return new BrokerNode(c.NodeId, c.Host, c.Port, null);
        }

        KafkaException.ThrowIfError(response.ErrorCode, $"Coordinator of group '{groupId}'{Detail(response.ErrorMessage)}");
        return new BrokerNode(response.NodeId, response.Host, response.Port, null);
    }

    /// <summary>Turns the coordinator errors that a fresh FindCoordinator can fix into a retriable exception.</summary>
    private static void ThrowIfCoordinatorMoved(short code, string groupId)
    {
        if ((ErrorCode)code is ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress)
        {
            throw new KafkaException((ErrorCode)code, $"Coordinator of group '{groupId}'");
        }
    }

    private static string Detail(string? message) => string.IsNullOrEmpty(message) ? "" : $": {message}";
}
