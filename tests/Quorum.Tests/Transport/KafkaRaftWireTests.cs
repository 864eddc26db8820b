using System.Buffers;
using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Quorum.Voters;
using K = KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Quorum.Tests.Transport;

/// <summary>The quorum's messages through Kafka's: mapped, encoded as frames, decoded and mapped back.</summary>
public class KafkaRaftWireTests
{
    private const int Destination = 4;

    public static TheoryData<string> RequestNames => [.. Requests().Keys];

    public static TheoryData<string> ResponseNames => [.. Responses().Keys];

    private static Dictionary<string, RaftRequest> Requests() => new()
    {
        ["vote"] = new VoteRequest("cluster-1", int.MaxValue, 3, int.MinValue, long.MaxValue, false),
        ["pre-vote"] = new VoteRequest("ünïcödé-集群-🚀", 7, 0, 6, 41, true),
        ["begin"] = new BeginQuorumEpochRequest("c", 2, 7),
        ["end"] = new EndQuorumEpochRequest("c", 1, 9, [3, 2, int.MaxValue]),
        ["end-no-successors"] = new EndQuorumEpochRequest("c", 1, 9, []),
        ["fetch"] = new FetchRequest("c", -1, 0, 0, -1, int.MaxValue),
        ["fetch-long-poll"] = new FetchRequest("c", 2, 7, 41, 6, 1 << 20, 2000, 40, BrokerEpoch: 12),
        ["fetch-snapshot"] = new FetchSnapshotRequest("c", 2, 7, new SnapshotId(100, 6), 4096, 1 << 20),
        ["propose"] = new ProposeRequest("c", [9, 8, 7]),
        ["propose-empty"] = new ProposeRequest("", []),
    };

    private static Dictionary<string, (RaftRequest Request, RaftResponse Response)> Responses()
    {
        var voters = new VotersRecord(1, [new Voter(0, Guid.NewGuid(), "host-0:9093"), new Voter(1, Guid.Empty, "[::1]:9094")]).Encode();
        var fetch = new FetchRequest("c", 2, 5, 98, 5, 1 << 20);
        var snapshot = new FetchSnapshotRequest("c", 2, 5, new SnapshotId(100, 4), 0, 1000);
        return new()
        {
            ["vote"] = (Requests()["vote"], new VoteResponse(RaftErrors.FencedLeaderEpoch, -1, int.MaxValue, false)),
            ["vote-granted"] = (Requests()["vote"], new VoteResponse(RaftErrors.None, 2, 7, true)),
            ["begin"] = (Requests()["begin"], new BeginQuorumEpochResponse(RaftErrors.None, 2, 7)),
            ["end"] = (Requests()["end"], new EndQuorumEpochResponse(RaftErrors.NotLeaderOrFollower, -1, -1)),
            ["fetch-entries"] = (fetch, new FetchResponse(RaftErrors.None, 1, 5, 100, 0, -1, -1,
                [new RaftEntry(98, 5, [1, 2, 3]), new RaftEntry(99, 5, []), new RaftEntry(100, 6, voters), new RaftEntry(101, 6, [0xFF])], "host-1:9093")),
            ["fetch-diverging"] = (fetch, new FetchResponse(RaftErrors.None, 1, 5, -1, 50, 4, 77, [])),
            ["fetch-snapshot-first"] = (fetch, new FetchResponse(RaftErrors.None, 1, 5, 200, 150, -1, -1, [], "[fe80::1]:9093", new SnapshotId(150, 4))),
            ["fetch-cluster-id"] = (fetch, new FetchResponse(RaftErrors.InconsistentClusterId, 1, 5, -1, 0, -1, -1, [])),
            ["fetch-snapshot"] = (snapshot, new FetchSnapshotResponse(RaftErrors.None, 1, 5, new SnapshotId(100, 4), 5000, 0, [.. Enumerable.Range(0, 1000).Select(i => (byte)i)])),
            ["fetch-snapshot-not-found"] = (snapshot, new FetchSnapshotResponse(RaftErrors.SnapshotNotFound, 1, 5, new SnapshotId(100, 4), 0, 0, [])),
            ["propose"] = (Requests()["propose"], new ProposeResponse(RaftErrors.None, 1, 5, 1234)),
        };
    }

    [Theory]
    [MemberData(nameof(RequestNames))]
    public void Every_request_round_trips_through_a_Kafka_frame(string name)
    {
        var request = Requests()[name];
        var frame = RequestFrame(request, correlationId: 17, out var kafka);
        Assert.Equal(KafkaRaftWire.SentVersion(kafka.ApiKey), kafka.Version);

        var (header, body) = MessageCodec.ReadRequest(frame.AsMemory(4));
        Assert.Equal(17, header.CorrelationId);
        Assert.Equal("raft-client-2", header.ClientId);
        Assert.Equal(kafka.ApiKey, header.ApiKey);
        Assert.Equal(2, ApiRegistry.RequestHeaderVersion(header.ApiKey, header.RequestApiVersion));
        Assert.True(KafkaRaftWire.TryFromKafka(body, Destination, new LeaderAndEpoch(1, 1), out var decoded, out var error), $"refused with {error}");
        AssertSame(request, decoded!);
    }

    [Theory]
    [MemberData(nameof(ResponseNames))]
    public void Every_response_round_trips_through_a_Kafka_frame(string name)
    {
        var (request, response) = Responses()[name];
        AssertSame(response, Decode(request, ResponseFrame(request, response)));
    }

    [Fact]
    public void Fetch_names_the_metadata_topic_by_Kafkas_id_and_carries_record_batches()
    {
        var (request, response) = Responses()["fetch-entries"];
        var kafka = KafkaRaftWire.ToKafka(request, Destination);
        var fetch = Assert.IsType<K.FetchRequest>(kafka.Body);
        Assert.Equal("00000000-0000-0000-0000-000000000001", fetch.Topics[0].TopicId.ToString());
        Assert.Equal(2, fetch.ReplicaState.ReplicaId);

        var body = Assert.IsType<K.FetchResponse>(KafkaRaftWire.ToKafka(response));
        var records = ((MemoryRecordSet)body.Responses[0].Partitions[0].Records!).Bytes.ToArray();
        var seen = new List<(long Offset, int Epoch, bool Control, int Count)>();
        var batches = new RecordBatchEnumerator(records);
        while (batches.MoveNext())
        {
            var batch = batches.Current;
            Assert.True(batch.CrcMatches);
            seen.Add((batch.Header.BaseOffset, batch.Header.PartitionLeaderEpoch, batch.Header.IsControl, batch.Header.RecordCount));
            if (batch.Header.IsControl)
            {
                var iterator = batch.GetRecords();
                Assert.True(iterator.MoveNext());
                var key = iterator.Current.Key;
                Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(key));
                Assert.Contains(BinaryPrimitives.ReadInt16BigEndian(key[2..]), new short[] { 2, 6 }); // LEADER_CHANGE, KRAFT_VOTERS
            }
        }
        Assert.Equal([(98, 5, false, 1), (99, 5, true, 1), (100, 6, true, 1), (101, 6, false, 1)], seen);
    }

    [Theory]
    [MemberData(nameof(ResponseNames))]
    public void A_response_frame_truncated_anywhere_is_refused_as_malformed(string name)
    {
        var (request, response) = Responses()[name];
        var frame = ResponseFrame(request, response);
        for (var length = 4; length < frame.Length; length++)
        {
            var cut = frame[..length];
            BinaryPrimitives.WriteInt32BigEndian(cut, length - 4);
            var ex = Xunit.Record.Exception(() => Decode(request, cut));
            Assert.True(ex is KafkaProtocolException or InvalidDataException, $"cut at {length}: {ex?.GetType().Name ?? "decoded"}");
        }
    }

    [Theory]
    [MemberData(nameof(RequestNames))]
    public void A_request_body_truncated_anywhere_is_a_protocol_error(string name)
    {
        var frame = RequestFrame(Requests()[name], 1, out _);
        for (var length = 4; length < frame.Length; length++)
        {
            var cut = frame.AsMemory(4, length - 4);
            var ex = Xunit.Record.Exception(() => MessageCodec.ReadRequest(cut));
            Assert.IsType<KafkaProtocolException>(ex);
        }
    }

    [Fact]
    public void Requests_of_the_wrong_shape_get_Kafkas_errors()
    {
        var leader = new LeaderAndEpoch(1, 9);
        var vote = (K.VoteRequest)KafkaRaftWire.ToKafka(Requests()["vote"], Destination).Body;

        // Addressed to another voter: INVALID_VOTER_KEY, with the leader this node knows.
        Assert.False(KafkaRaftWire.TryFromKafka(vote, Destination + 1, leader, out _, out var error));
        var p = Assert.Single(Assert.Single(Assert.IsType<K.VoteResponse>(error).Topics).Partitions);
        Assert.Equal((short)ErrorCode.InvalidVoterKey, p.ErrorCode);
        Assert.Equal((1, 9), (p.LeaderId, p.LeaderEpoch));

        vote.Topics[0].Partitions[0].PartitionIndex = 1;
        Assert.False(KafkaRaftWire.TryFromKafka(vote, Destination, leader, out _, out error));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, ((K.VoteResponse)error!).Topics[0].Partitions[0].ErrorCode);

        vote.Topics.Clear();
        Assert.False(KafkaRaftWire.TryFromKafka(vote, Destination, leader, out _, out error));
        Assert.Equal((short)ErrorCode.InvalidRequest, ((K.VoteResponse)error!).ErrorCode);

        var fetch = (K.FetchRequest)KafkaRaftWire.ToKafka(Requests()["fetch"], Destination).Body;
        fetch.Topics[0].TopicId = Guid.NewGuid();
        Assert.False(KafkaRaftWire.TryFromKafka(fetch, Destination, leader, out _, out error));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, ((K.FetchResponse)error!).Responses[0].Partitions[0].ErrorCode);

        var begin = (K.BeginQuorumEpochRequest)KafkaRaftWire.ToKafka(Requests()["begin"], Destination).Body;
        Assert.False(KafkaRaftWire.TryFromKafka(begin, 0, leader, out _, out error));
        Assert.Equal((short)ErrorCode.InvalidVoterKey, ((K.BeginQuorumEpochResponse)error!).Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public void Another_cluster_id_is_a_top_level_INCONSISTENT_CLUSTER_ID()
    {
        var body = Assert.IsType<K.VoteResponse>(KafkaRaftWire.ToKafka(new VoteResponse(RaftErrors.InconsistentClusterId, 1, 2, false)));
        Assert.Equal((short)ErrorCode.InconsistentClusterId, body.ErrorCode);

        // A top-level error with no partition (as Kafka's quorum answers) is that error for the quorum too.
        var bare = KafkaRaftWire.FromKafka(Requests()["fetch"], new K.FetchResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId });
        Assert.Equal(RaftErrors.InconsistentClusterId, bare.ErrorCode);
    }

    [Fact]
    public void Batches_that_are_not_the_leaders_entries_are_refused()
    {
        var entries = new[] { new RaftEntry(5, 1, [1]), new RaftEntry(6, 1, [2]) };
        var bytes = MetadataBatches.Encode(entries);
        Assert.Equal(entries.Select(e => (e.Offset, e.Epoch)), MetadataBatches.Decode(bytes).Select(e => (e.Offset, e.Epoch)));

        // A partial last batch (a byte limit) is dropped, not refused.
        Assert.Single(MetadataBatches.Decode(bytes.AsSpan(0, bytes.Length - 1)));

        var corrupt = (byte[])bytes.Clone();
        corrupt[^1] ^= 1;
        Assert.Throws<InvalidDataException>(() => MetadataBatches.Decode(corrupt));

        // Offsets that skip.
        var gap = MetadataBatches.Encode([new RaftEntry(5, 1, [1]), new RaftEntry(7, 1, [2])]);
        Assert.Throws<InvalidDataException>(() => MetadataBatches.Decode(gap));

        // Two records in one batch.
        using var builder = new RecordBatchBuilder();
        builder.Add(0, null, [1]);
        builder.Add(0, null, [2]);
        Assert.Throws<InvalidDataException>(() => MetadataBatches.Decode(builder.ToArray()));
    }

    private static byte[] RequestFrame(RaftRequest request, int correlationId, out KafkaRaftRequest kafka)
    {
        kafka = KafkaRaftWire.ToKafka(request, Destination);
        var header = new RequestHeader { RequestApiKey = (short)kafka.ApiKey, RequestApiVersion = kafka.Version, CorrelationId = correlationId, ClientId = "raft-client-2" };
        var output = new ArrayBufferWriter<byte>();
        MessageCodec.WriteRequest(output, header, kafka.Body);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] ResponseFrame(RaftRequest request, RaftResponse response)
    {
        var kafka = KafkaRaftWire.ToKafka(request, Destination);
        var header = new RequestHeader { RequestApiKey = (short)kafka.ApiKey, RequestApiVersion = kafka.Version, CorrelationId = 5 };
        var output = new ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, header, KafkaRaftWire.ToKafka(response));
        return output.WrittenSpan.ToArray();
    }

    private static RaftResponse Decode(RaftRequest request, byte[] frame)
    {
        var kafka = KafkaRaftWire.ToKafka(request, Destination);
        var size = BinaryPrimitives.ReadInt32BigEndian(frame);
        Assert.Equal(frame.Length - 4, size);
        var reader = new KafkaReader(frame.AsMemory(4));
        ResponseHeader.Read(ref reader, ApiRegistry.ResponseHeaderVersion(kafka.ApiKey, kafka.Version));
        var body = MessageCodec.Read(ApiRegistry.Find(kafka.ApiKey)!.ResponseType, ref reader, kafka.Version);
        if (!reader.IsAtEnd)
            throw new InvalidDataException("trailing bytes");
        return KafkaRaftWire.FromKafka(request, body);
    }

    internal static void AssertSame(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected)
        {
            case EndQuorumEpochRequest e:
                var a = (EndQuorumEpochRequest)actual;
                Assert.Equal(e.PreferredSuccessors, a.PreferredSuccessors);
                Assert.Equal(e, a with { PreferredSuccessors = e.PreferredSuccessors });
                break;
            case FetchResponse e:
                var f = (FetchResponse)actual;
                Assert.Equal(e.Entries.Count, f.Entries.Count);
                for (var i = 0; i < e.Entries.Count; i++)
                {
                    Assert.Equal(e.Entries[i].Offset, f.Entries[i].Offset);
                    Assert.Equal(e.Entries[i].Epoch, f.Entries[i].Epoch);
                    Assert.Equal(e.Entries[i].Payload, f.Entries[i].Payload);
                }
                Assert.Equal(e, f with { Entries = e.Entries });
                break;
            case ProposeRequest e:
                var p = (ProposeRequest)actual;
                Assert.Equal(e.Payload, p.Payload);
                Assert.Equal(e, p with { Payload = e.Payload });
                break;
            case FetchSnapshotResponse e:
                var s = (FetchSnapshotResponse)actual;
                Assert.Equal(e.Bytes, s.Bytes);
                Assert.Equal(e, s with { Bytes = e.Bytes });
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }
}
