using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Network;
using KafkaOperator.Server.Tests.Protocol;
using K = KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Quorum;

/// <summary>
/// A real one-voter quorum node (it leads at once) behind a CONTROLLER listener, asked by hand-written Kafka
/// requests: what the quorum answers on Kafka's wire, and Kafka's errors for requests that are wrong.
/// </summary>
public sealed class ControllerListenerBadInputTests : IAsyncLifetime
{
    private const string ClusterId = "cluster-a";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private QuorumNode _node = null!;
    private SocketServer _server = null!;

    public async Task InitializeAsync()
    {
        _node = new QuorumNode(new QuorumConfig(1, [1], ClusterId), new MemoryRaftLog(), new MemoryQuorumStateStore(), new Unreachable(), new NoListener(), seed: 1);
        _server = ControllerListener.Start(_node, nodeId: 1);
        _node.Start();
        var deadline = DateTime.UtcNow + Patience;
        while (_node.Leader.LeaderId != 1 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.Equal(1, _node.Leader.LeaderId);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ApiVersions_lists_the_quorum_rpcs_at_the_versions_served()
    {
        using var connection = RawConnection.Open(_server.Port());
        var response = await connection.RequestAsync<K.ApiVersionsRequest, K.ApiVersionsResponse>(ApiKey.ApiVersions, 3, new K.ApiVersionsRequest { ClientSoftwareName = "t", ClientSoftwareVersion = "1" });
        var keys = response.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        Assert.Equal((2, 2), keys[ApiKey.Vote]);
        Assert.Equal((1, 1), keys[ApiKey.BeginQuorumEpoch]);
        Assert.Equal((1, 1), keys[ApiKey.EndQuorumEpoch]);
        Assert.Equal((18, 18), keys[ApiKey.Fetch]);
        Assert.Equal((1, 1), keys[ApiKey.FetchSnapshot]);
        Assert.False(keys.ContainsKey(ApiKey.Produce));
    }

    [Fact]
    public async Task A_fetch_gets_the_log_as_record_batches_with_the_quorums_entries_as_control_batches()
    {
        using var connection = RawConnection.Open(_server.Port());
        var body = (K.FetchRequest)KafkaRaftWire.ToKafka(new FetchRequest(ClusterId, 7, _node.Leader.Epoch, 0, -1, 1 << 20), 1).Body;
        var response = await connection.RequestAsync<K.FetchRequest, K.FetchResponse>(ApiKey.Fetch, 18, body);
        var partition = Assert.Single(Assert.Single(response.Responses).Partitions);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(1, partition.CurrentLeader.LeaderId);
        var records = ((MemoryRecordSet)partition.Records!).Bytes.ToArray();
        // A fresh leader's log holds only the quorum's own entries (its voter set, its epoch start): control batches.
        var types = new List<short>();
        var batches = new RecordBatchEnumerator(records);
        while (batches.MoveNext())
        {
            var batch = batches.Current;
            Assert.Equal(types.Count, batch.Header.BaseOffset);
            Assert.True(batch.CrcMatches);
            Assert.True(batch.Header.IsControl);
            Assert.InRange(batch.Header.PartitionLeaderEpoch, 1, partition.CurrentLeader.LeaderEpoch);
            var iterator = batch.GetRecords();
            Assert.True(iterator.MoveNext());
            types.Add(BinaryPrimitives.ReadInt16BigEndian(iterator.Current.Key[2..]));
        }
        Assert.NotEmpty(types);
        Assert.All(types, t => Assert.Contains(t, new[] { MetadataBatches.LeaderChangeType, (short)6 }));
        Assert.Contains((short)6, types); // KRAFT_VOTERS
    }

    [Fact]
    public async Task A_vote_from_a_non_voter_behind_this_log_is_refused_without_an_election()
    {
        using var connection = RawConnection.Open(_server.Port());
        var epoch = _node.Leader.Epoch;
        var body = (K.VoteRequest)KafkaRaftWire.ToKafka(new VoteRequest(ClusterId, epoch + 1, 9, 0, 0, false), 1).Body;
        var response = await connection.RequestAsync<K.VoteRequest, K.VoteResponse>(ApiKey.Vote, 2, body);
        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal((0, false, 1, epoch), (partition.ErrorCode, partition.VoteGranted, partition.LeaderId, partition.LeaderEpoch));
        Assert.Equal(new LeaderAndEpoch(1, epoch), _node.Leader);
    }

    [Fact]
    public async Task A_vote_addressed_to_another_voter_gets_INVALID_VOTER_KEY()
    {
        using var connection = RawConnection.Open(_server.Port());
        var body = (K.VoteRequest)KafkaRaftWire.ToKafka(new VoteRequest(ClusterId, 9, 2, 9, 100, false), destinationId: 5).Body;
        var response = await connection.RequestAsync<K.VoteRequest, K.VoteResponse>(ApiKey.Vote, 2, body);
        Assert.Equal((short)ErrorCode.InvalidVoterKey, response.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(1, _node.Leader.LeaderId);
    }

    [Fact]
    public async Task Another_cluster_id_gets_INCONSISTENT_CLUSTER_ID()
    {
        using var connection = RawConnection.Open(_server.Port());
        var body = (K.FetchRequest)KafkaRaftWire.ToKafka(new FetchRequest("cluster-b", 7, -1, 0, -1, 1 << 20), 1).Body;
        var response = await connection.RequestAsync<K.FetchRequest, K.FetchResponse>(ApiKey.Fetch, 18, body);
        Assert.Equal((short)ErrorCode.InconsistentClusterId, response.ErrorCode);
    }

    [Fact]
    public async Task Another_partition_gets_UNKNOWN_TOPIC_OR_PARTITION_and_a_malformed_list_INVALID_REQUEST()
    {
        using var connection = RawConnection.Open(_server.Port());
        var body = (K.FetchRequest)KafkaRaftWire.ToKafka(new FetchRequest(ClusterId, 7, -1, 0, -1, 1 << 20), 1).Body;
        body.Topics[0].TopicId = Guid.NewGuid();
        var response = await connection.RequestAsync<K.FetchRequest, K.FetchResponse>(ApiKey.Fetch, 18, body);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[0].Partitions[0].ErrorCode);

        var snapshot = (K.FetchSnapshotRequest)KafkaRaftWire.ToKafka(new FetchSnapshotRequest(ClusterId, 7, 1, new KafkaOperator.Quorum.Snapshots.SnapshotId(1, 1), 0, 100), 1).Body;
        snapshot.Topics.Add(snapshot.Topics[0]);
        var refused = await connection.RequestAsync<K.FetchSnapshotRequest, K.FetchSnapshotResponse>(ApiKey.FetchSnapshot, 1, snapshot);
        Assert.Equal((short)ErrorCode.InvalidRequest, refused.ErrorCode);
    }

    [Fact]
    public async Task An_api_the_controller_listener_does_not_serve_closes_the_connection()
    {
        using var connection = RawConnection.Open(_server.Port());
        await connection.SendAsync(ApiKey.Metadata, 12, new K.MetadataRequest());
        Assert.True(await connection.IsClosedByBrokerAsync(Patience));

        // An old version of a quorum RPC (no pre-vote) is refused the same way.
        using var old = RawConnection.Open(_server.Port());
        await old.SendAsync(ApiKey.Vote, 0, new K.VoteRequest());
        Assert.True(await old.IsClosedByBrokerAsync(Patience));
    }

    [Fact]
    public async Task A_request_truncated_anywhere_closes_that_connection_and_the_listener_carries_on()
    {
        var body = (K.VoteRequest)KafkaRaftWire.ToKafka(new VoteRequest(ClusterId, 1, 9, 0, 0, true), 1).Body;
        var frame = RawConnection.EncodeRequest(ApiKey.Vote, 2, 1, body, "raft-client-9");
        for (var length = 4; length < frame.Length; length++)
        {
            var cut = frame[..length];
            BinaryPrimitives.WriteInt32BigEndian(cut, length - 4);
            using var connection = RawConnection.Open(_server.Port());
            await connection.SendRawAsync(cut);
            Assert.True(await connection.IsClosedByBrokerAsync(Patience), $"cut at {length} of {frame.Length}");
        }
        using var good = RawConnection.Open(_server.Port());
        var response = await good.RequestAsync<K.VoteRequest, K.VoteResponse>(ApiKey.Vote, 2, body);
        Assert.Equal(0, response.ErrorCode);
    }

    private sealed class Unreachable : IRaftTransport
    {
        public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => ThreadPool.QueueUserWorkItem(_ => onResponse(null));
    }

    private sealed class NoListener : IRaftListener
    {
        public void OnCommitted(IReadOnlyList<RaftEntry> entries)
        {
        }

        public void OnLeaderChange(LeaderAndEpoch leader)
        {
        }
    }
}
