using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Snapshots;
using K = KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Quorum.Transport;

/// <summary>An outbound quorum request as a Kafka request: its API key, the version sent and the message.</summary>
public readonly record struct KafkaRaftRequest(ApiKey ApiKey, short Version, object Body);

/// <summary>
/// The quorum's RPCs on Kafka's wire: each <see cref="RaftRequest"/> and <see cref="RaftResponse"/> to and from
/// the Protocol message Kafka defines for it (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot of
/// <c>__cluster_metadata-0</c>), plus the project's own QuorumPropose. A node sends the newest version both it
/// (<see cref="SentVersion"/>) and the peer (its ApiVersions) support, down to <see cref="MinSendVersion"/>
/// (<see cref="NegotiateVersion"/>), and accepts from <see cref="MinAcceptedVersion"/>: older versions lack a field
/// the quorum needs (PreVote, the follower's high watermark).
/// Exception policy: a response of the wrong shape (not one topic with partition 0 of the metadata topic) throws
/// <see cref="InvalidDataException"/>; a request of the wrong shape is answered, as Kafka does, with
/// <see cref="TryFromKafka"/>'s error response.
/// </summary>
public static class KafkaRaftWire
{
    /// <summary>The versions this node sends.</summary>
    public static short SentVersion(ApiKey apiKey) => apiKey switch
    {
        ApiKey.Vote => 2,
        ApiKey.BeginQuorumEpoch => 1,
        ApiKey.EndQuorumEpoch => 1,
        ApiKey.Fetch => 18,
        ApiKey.FetchSnapshot => 1,
        ApiKey.QuorumPropose => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, "not a quorum RPC"),
    };

    /// <summary>
    /// The oldest version <paramref name="request"/> can be sent at to a peer that lacks the newest: a pre-vote needs
    /// Vote v2 (an older voter would count it as a vote); a Fetch v15 (the replica state; below v18 without the
    /// follower's high watermark, which the leader then takes as unknown, as Kafka's does); anything else v0.
    /// </summary>
    public static short MinSendVersion(RaftRequest request) => request switch
    {
        VoteRequest { PreVote: true } => 2,
        FetchRequest => 15,
        _ => 0,
    };

    /// <summary>
    /// The version to send <paramref name="request"/> at, as Kafka's NetworkClient picks it: the highest this node
    /// sends that the peer's ApiVersions range (<paramref name="peerMin"/>–<paramref name="peerMax"/>) allows; the
    /// newest when the peer's versions are unknown; null when there is none.
    /// </summary>
    public static short? NegotiateVersion(RaftRequest request, ApiKey apiKey, (short Min, short Max)? peer)
    {
        ArgumentNullException.ThrowIfNull(request);
        var newest = SentVersion(apiKey);
        if (peer is not var (peerMin, peerMax))
            return newest;
        var version = Math.Min(newest, peerMax);
        return version >= Math.Max(MinSendVersion(request), peerMin) ? version : null;
    }

    /// <summary>The oldest version served: Vote v2 (pre-vote), Fetch v18 (the follower's high watermark, KIP-1166).</summary>
    public static short MinAcceptedVersion(ApiKey apiKey) => apiKey switch
    {
        ApiKey.Vote => 2,
        ApiKey.Fetch => 18,
        _ => SentVersion(apiKey),
    };

    public static KafkaRaftRequest ToKafka(RaftRequest request, int destinationId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request switch
        {
            VoteRequest r => Make(ApiKey.Vote, new K.VoteRequest
            {
                ClusterId = r.ClusterId,
                VoterId = destinationId,
                Topics = [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, ReplicaEpoch = r.CandidateEpoch, ReplicaId = r.CandidateId, LastOffsetEpoch = r.LastOffsetEpoch, LastOffset = r.LastOffset, PreVote = r.PreVote }] }],
            }),
            BeginQuorumEpochRequest r => Make(ApiKey.BeginQuorumEpoch, new K.BeginQuorumEpochRequest
            {
                ClusterId = r.ClusterId,
                VoterId = destinationId,
                Topics = [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch }] }],
            }),
            EndQuorumEpochRequest r => Make(ApiKey.EndQuorumEpoch, new K.EndQuorumEpochRequest
            {
                ClusterId = r.ClusterId,
                Topics = [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch, PreferredSuccessors = [.. r.PreferredSuccessors ?? []], PreferredCandidates = [.. (r.PreferredSuccessors ?? []).Select(id => new K.EndQuorumEpochRequest.ReplicaInfo { CandidateId = id })] }] }],
            }),
            FetchRequest r => Make(ApiKey.Fetch, new K.FetchRequest
            {
                ClusterId = r.ClusterId,
                // ReplicaEpoch is the sender's broker epoch (-1 before it registers, and from a controller-only node,
                // as Kafka's raft client sends): the controller's liveness check. The follower's leader epoch is the
                // partition's CurrentLeaderEpoch.
                ReplicaState = new() { ReplicaId = r.ReplicaId, ReplicaEpoch = r.BrokerEpoch },
                MaxWaitMs = r.MaxWaitMs,
                MinBytes = 0,
                MaxBytes = r.MaxBytes,
                Topics = [new() { TopicId = MetadataPartition.TopicId, Partitions = [new() { Partition = MetadataPartition.Partition, CurrentLeaderEpoch = r.ReplicaEpoch, FetchOffset = r.FetchOffset, LastFetchedEpoch = r.LastFetchedEpoch, PartitionMaxBytes = r.MaxBytes, HighWatermark = r.HighWatermark < 0 ? long.MaxValue : r.HighWatermark }] }],
            }),
            FetchSnapshotRequest r => Make(ApiKey.FetchSnapshot, new K.FetchSnapshotRequest
            {
                ClusterId = r.ClusterId,
                ReplicaId = r.ReplicaId,
                MaxBytes = r.MaxBytes,
                Topics = [new() { Name = MetadataPartition.Topic, Partitions = [new() { Partition = MetadataPartition.Partition, CurrentLeaderEpoch = r.ReplicaEpoch, SnapshotId = new() { EndOffset = r.Snapshot.EndOffset, Epoch = r.Snapshot.Epoch }, Position = r.Position }] }],
            }),
            ProposeRequest r => Make(ApiKey.QuorumPropose, new K.QuorumProposeRequest { ClusterId = r.ClusterId, Payload = r.Payload ?? [] }),
            _ => throw new ArgumentException($"unknown request {request.GetType().Name}", nameof(request)),
        };
    }

    /// <summary>The quorum's view of a Kafka response to <paramref name="request"/>.</summary>
    public static RaftResponse FromKafka(RaftRequest request, object body)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        switch (body)
        {
            case K.VoteResponse m:
                {
                    if (m.ErrorCode != 0 && !HasPartition(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count))
                        return RaftResponses.Error(request, m.ErrorCode, new LeaderAndEpoch(-1, -1));
                    var p = Single(m.Topics, t => t.TopicName, t => t.Partitions, p => p.PartitionIndex, "Vote");
                    return new VoteResponse(Top(m.ErrorCode, p.ErrorCode), p.LeaderId, p.LeaderEpoch, p.VoteGranted);
                }
            case K.BeginQuorumEpochResponse m:
                return LeaderAnswer(request, m.ErrorCode, m.Topics, "BeginQuorumEpoch", (e, id, epoch) => new BeginQuorumEpochResponse(e, id, epoch));
            case K.EndQuorumEpochResponse m:
                return LeaderAnswer(request, m.ErrorCode, m.Topics, "EndQuorumEpoch", (e, id, epoch) => new EndQuorumEpochResponse(e, id, epoch));
            case K.FetchResponse m:
                {
                    if (m.ErrorCode != 0 && !HasPartition(m.Responses.Count, m.Responses.FirstOrDefault()?.Partitions.Count))
                        return RaftResponses.Error(request, m.ErrorCode, new LeaderAndEpoch(-1, -1));
                    if (m.Responses.Count != 1 || m.Responses[0].TopicId != MetadataPartition.TopicId)
                        throw new InvalidDataException($"a metadata Fetch response names {m.Responses.Count} topics, not the metadata topic alone");
                    var partitions = m.Responses[0].Partitions;
                    if (partitions.Count != 1 || partitions[0].PartitionIndex != MetadataPartition.Partition)
                        throw new InvalidDataException($"a metadata Fetch response holds {partitions.Count} partitions, not partition 0 alone");
                    var p = partitions[0];
                    var records = p.Records is MemoryRecordSet memory ? memory.Bytes.Span : [];
                    var leader = p.CurrentLeader.LeaderId;
                    var endpoint = m.NodeEndpoints.FirstOrDefault(n => n.NodeId == leader) is { } node && node.Port is > 0 and <= 65535
                        ? Endpoint(node.Host, node.Port) : null;
                    var snapshot = p.SnapshotId.EndOffset >= 0 ? new SnapshotId(p.SnapshotId.EndOffset, p.SnapshotId.Epoch) : (SnapshotId?)null;
                    return new FetchResponse(Top(m.ErrorCode, p.ErrorCode), leader, p.CurrentLeader.LeaderEpoch, p.HighWatermark, p.LogStartOffset,
                        p.DivergingEpoch.Epoch, p.DivergingEpoch.EndOffset, MetadataBatches.Decode(records), endpoint, snapshot);
                }
            case K.FetchSnapshotResponse m:
                {
                    if (m.ErrorCode != 0 && !HasPartition(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count))
                        return RaftResponses.Error(request, m.ErrorCode, new LeaderAndEpoch(-1, -1));
                    var p = Single(m.Topics, t => t.Name, t => t.Partitions, p => p.Index, "FetchSnapshot");
                    var bytes = p.Bytes is MemoryRecordSet memory ? memory.Bytes.ToArray() : [];
                    return new FetchSnapshotResponse(Top(m.ErrorCode, p.ErrorCode), p.CurrentLeader.LeaderId, p.CurrentLeader.LeaderEpoch,
                        new SnapshotId(p.SnapshotId.EndOffset, p.SnapshotId.Epoch), p.Size, p.Position, bytes);
                }
            case K.QuorumProposeResponse m:
                return new ProposeResponse(m.ErrorCode, m.LeaderId, m.LeaderEpoch, m.Offset);
            default:
                throw new InvalidDataException($"{body.GetType().Name} is not a quorum response");
        }
    }

    /// <summary>
    /// The quorum request a Kafka request holds, or false with the error response Kafka gives a request of the wrong
    /// shape: INVALID_REQUEST for anything but one topic with one partition, UNKNOWN_TOPIC_OR_PARTITION for another
    /// partition than <c>__cluster_metadata-0</c>, INVALID_VOTER_KEY for a Vote or BeginQuorumEpoch addressed to
    /// another voter than <paramref name="localId"/>.
    /// </summary>
    public static bool TryFromKafka(object body, int localId, LeaderAndEpoch leader, out RaftRequest? request, out object? error)
    {
        ArgumentNullException.ThrowIfNull(body);
        request = null;
        error = null;
        switch (body)
        {
            case K.VoteRequest m:
                {
                    if (Check(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count, m.Topics.FirstOrDefault()?.TopicName == MetadataPartition.Topic, m.Topics.FirstOrDefault()?.Partitions.FirstOrDefault()?.PartitionIndex) is { } e)
                    {
                        error = VoteError(e, leader);
                        return false;
                    }
                    if (m.VoterId >= 0 && m.VoterId != localId)
                    {
                        error = VoteError((short)ErrorCode.InvalidVoterKey, leader);
                        return false;
                    }
                    var p = m.Topics[0].Partitions[0];
                    request = new VoteRequest(m.ClusterId ?? "", p.ReplicaEpoch, p.ReplicaId, p.LastOffsetEpoch, p.LastOffset, p.PreVote);
                    return true;
                }
            case K.BeginQuorumEpochRequest m:
                {
                    var e = Check(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count, m.Topics.FirstOrDefault()?.TopicName == MetadataPartition.Topic, m.Topics.FirstOrDefault()?.Partitions.FirstOrDefault()?.PartitionIndex);
                    if (e is null && m.VoterId >= 0 && m.VoterId != localId)
                        e = (short)ErrorCode.InvalidVoterKey;
                    if (e is { } code)
                    {
                        error = new K.BeginQuorumEpochResponse { ErrorCode = code, Topics = LeaderTopics(code, leader) };
                        return false;
                    }
                    var p = m.Topics[0].Partitions[0];
                    request = new BeginQuorumEpochRequest(m.ClusterId ?? "", p.LeaderId, p.LeaderEpoch);
                    return true;
                }
            case K.EndQuorumEpochRequest m:
                {
                    if (Check(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count, m.Topics.FirstOrDefault()?.TopicName == MetadataPartition.Topic, m.Topics.FirstOrDefault()?.Partitions.FirstOrDefault()?.PartitionIndex) is { } e)
                    {
                        error = new K.EndQuorumEpochResponse { ErrorCode = e, Topics = LeaderTopics(e, leader) };
                        return false;
                    }
                    var p = m.Topics[0].Partitions[0];
                    // v0 names the successors, v1 the candidates; whichever the sender's version carried.
                    IReadOnlyList<int> successors = p.PreferredCandidates.Count > 0 ? [.. p.PreferredCandidates.Select(c => c.CandidateId)] : p.PreferredSuccessors;
                    request = new EndQuorumEpochRequest(m.ClusterId ?? "", p.LeaderId, p.LeaderEpoch, successors);
                    return true;
                }
            case K.FetchRequest m:
                {
                    if (Check(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count, m.Topics.FirstOrDefault()?.TopicId == MetadataPartition.TopicId, m.Topics.FirstOrDefault()?.Partitions.FirstOrDefault()?.Partition) is { } e)
                    {
                        error = FetchError(e, leader);
                        return false;
                    }
                    var p = m.Topics[0].Partitions[0];
                    var maxBytes = Math.Min(m.MaxBytes, p.PartitionMaxBytes);
                    request = new FetchRequest(m.ClusterId ?? "", m.ReplicaState.ReplicaId, p.CurrentLeaderEpoch, p.FetchOffset, p.LastFetchedEpoch,
                        maxBytes, Math.Max(0, m.MaxWaitMs), p.HighWatermark == long.MaxValue ? -1 : p.HighWatermark, m.ReplicaState.ReplicaEpoch);
                    return true;
                }
            case K.FetchSnapshotRequest m:
                {
                    if (Check(m.Topics.Count, m.Topics.FirstOrDefault()?.Partitions.Count, m.Topics.FirstOrDefault()?.Name == MetadataPartition.Topic, m.Topics.FirstOrDefault()?.Partitions.FirstOrDefault()?.Partition) is { } e)
                    {
                        error = new K.FetchSnapshotResponse { ErrorCode = e == (short)ErrorCode.InvalidRequest ? e : (short)0, Topics = e == (short)ErrorCode.InvalidRequest ? [] : [new() { Name = m.Topics[0].Name, Partitions = [new() { Index = m.Topics[0].Partitions[0].Partition, ErrorCode = e, CurrentLeader = new() { LeaderId = leader.LeaderId, LeaderEpoch = leader.Epoch } }] }] };
                        return false;
                    }
                    var p = m.Topics[0].Partitions[0];
                    request = new FetchSnapshotRequest(m.ClusterId ?? "", m.ReplicaId, p.CurrentLeaderEpoch, new SnapshotId(p.SnapshotId.EndOffset, p.SnapshotId.Epoch), p.Position, m.MaxBytes);
                    return true;
                }
            case K.QuorumProposeRequest m:
                request = new ProposeRequest(m.ClusterId ?? "", m.Payload ?? []);
                return true;
            default:
                throw new ArgumentException($"{body.GetType().Name} is not a quorum request", nameof(body));
        }
    }

    /// <summary>The Kafka response for <paramref name="response"/>; the leader's "host:port", when the response names it, goes into NodeEndpoints.</summary>
    public static object ToKafka(RaftResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var top = response.ErrorCode == RaftErrors.InconsistentClusterId ? response.ErrorCode : (short)0;
        switch (response)
        {
            case VoteResponse r:
                return new K.VoteResponse
                {
                    ErrorCode = top,
                    Topics = [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, ErrorCode = r.ErrorCode, LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch, VoteGranted = r.VoteGranted }] }],
                };
            case BeginQuorumEpochResponse r:
                return new K.BeginQuorumEpochResponse { ErrorCode = top, Topics = LeaderTopics(r.ErrorCode, new LeaderAndEpoch(r.LeaderId, r.LeaderEpoch)) };
            case EndQuorumEpochResponse r:
                return new K.EndQuorumEpochResponse { ErrorCode = top, Topics = LeaderTopics(r.ErrorCode, new LeaderAndEpoch(r.LeaderId, r.LeaderEpoch)) };
            case FetchResponse r:
                {
                    var partition = new K.FetchResponse.PartitionData
                    {
                        PartitionIndex = MetadataPartition.Partition,
                        ErrorCode = r.ErrorCode,
                        HighWatermark = r.HighWatermark,
                        LogStartOffset = r.LogStartOffset,
                        DivergingEpoch = new() { Epoch = r.DivergingEpoch, EndOffset = r.DivergingEndOffset },
                        CurrentLeader = new() { LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch },
                        SnapshotId = r.Snapshot is { } s ? new() { EndOffset = s.EndOffset, Epoch = s.Epoch } : new(),
                        Records = new MemoryRecordSet(MetadataBatches.Encode(r.Entries ?? [])),
                    };
                    var result = new K.FetchResponse { ErrorCode = top, Responses = [new() { TopicId = MetadataPartition.TopicId, Topic = MetadataPartition.Topic, Partitions = [partition] }] };
                    if (r.LeaderEndpoint is { } endpoint && TcpRaftTransport.ParseEndpoint(endpoint) is { } parsed && r.LeaderId >= 0)
                        result.NodeEndpoints.Add(new K.FetchResponse.NodeEndpoint { NodeId = r.LeaderId, Host = parsed.Host, Port = parsed.Port });
                    return result;
                }
            case FetchSnapshotResponse r:
                return new K.FetchSnapshotResponse
                {
                    ErrorCode = top,
                    Topics = [new() { Name = MetadataPartition.Topic, Partitions = [new() { Index = MetadataPartition.Partition, ErrorCode = r.ErrorCode, SnapshotId = new() { EndOffset = r.Snapshot.EndOffset, Epoch = r.Snapshot.Epoch }, CurrentLeader = new() { LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch }, Size = r.Size, Position = r.Position, Bytes = new MemoryRecordSet(r.Bytes ?? []) }] }],
                };
            case ProposeResponse r:
                return new K.QuorumProposeResponse { ErrorCode = r.ErrorCode, LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch, Offset = r.Offset };
            default:
                throw new ArgumentException($"unknown response {response.GetType().Name}", nameof(response));
        }
    }

    /// <summary>"host:port", an IPv6 host in brackets.</summary>
    public static string Endpoint(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static KafkaRaftRequest Make(ApiKey key, object body) => new(key, SentVersion(key), body);

    private static short Top(short top, short partition) => top != 0 ? top : partition;

    private static bool HasPartition(int topics, int? partitions) => topics == 1 && partitions == 1;

    private static short? Check(int topics, int? partitions, bool rightTopic, int? partition)
    {
        if (topics != 1 || partitions != 1)
            return (short)ErrorCode.InvalidRequest;
        if (!rightTopic || partition != MetadataPartition.Partition)
            return (short)ErrorCode.UnknownTopicOrPartition;
        return null;
    }

    private static T Single<TTopic, T>(List<TTopic> topics, Func<TTopic, string> name, Func<TTopic, List<T>> partitions, Func<T, int> index, string api)
    {
        if (topics.Count != 1 || name(topics[0]) != MetadataPartition.Topic)
            throw new InvalidDataException($"a {api} response names {topics.Count} topics, not {MetadataPartition.Topic} alone");
        var list = partitions(topics[0]);
        if (list.Count != 1 || index(list[0]) != MetadataPartition.Partition)
            throw new InvalidDataException($"a {api} response holds {list.Count} partitions, not partition 0 alone");
        return list[0];
    }

    private static RaftResponse LeaderAnswer(RaftRequest request, short top, List<K.QuorumPartitionTopic> topics, string api, Func<short, int, int, RaftResponse> make)
    {
        if (top != 0 && !HasPartition(topics.Count, topics.FirstOrDefault()?.Partitions.Count))
            return RaftResponses.Error(request, top, new LeaderAndEpoch(-1, -1));
        var p = Single(topics, t => t.TopicName, t => t.Partitions, p => p.PartitionIndex, api);
        return make(Top(top, p.ErrorCode), p.LeaderId, p.LeaderEpoch);
    }

    private static List<K.QuorumPartitionTopic> LeaderTopics(short error, LeaderAndEpoch leader) =>
        error == (short)ErrorCode.InvalidRequest ? [] :
        [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, ErrorCode = error, LeaderId = leader.LeaderId, LeaderEpoch = leader.Epoch }] }];

    private static K.VoteResponse VoteError(short error, LeaderAndEpoch leader) => error == (short)ErrorCode.InvalidRequest
        ? new K.VoteResponse { ErrorCode = error }
        : new K.VoteResponse { Topics = [new() { TopicName = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, ErrorCode = error, LeaderId = leader.LeaderId, LeaderEpoch = leader.Epoch }] }] };

    private static K.FetchResponse FetchError(short error, LeaderAndEpoch leader) => error == (short)ErrorCode.InvalidRequest
        ? new K.FetchResponse { ErrorCode = error }
        : new K.FetchResponse { Responses = [new() { TopicId = MetadataPartition.TopicId, Topic = MetadataPartition.Topic, Partitions = [new() { PartitionIndex = MetadataPartition.Partition, ErrorCode = error, CurrentLeader = new() { LeaderId = leader.LeaderId, LeaderEpoch = leader.Epoch }, Records = MemoryRecordSet.Empty }] }] };
}
