using System.Buffers;
using System.Buffers.Binary;
using KafkaOperator.Quorum.Transport;

namespace KafkaOperator.Quorum.Tests.Transport;

public class RaftCodecTests
{
    private static readonly string LongClusterId = new('c', short.MaxValue);

    public static TheoryData<string> SmallMessageNames => [.. SmallMessages().Keys];

    /// <summary>Every message type, with edge values; small enough to truncate at every byte.</summary>
    private static Dictionary<string, object> SmallMessages() => new()
    {
        ["vote-request"] = new VoteRequest("cluster-1", int.MaxValue, 3, int.MinValue, long.MaxValue, true),
        ["vote-request-empty-cluster"] = new VoteRequest("", 0, 0, 0, 0, false),
        ["vote-response"] = new VoteResponse(RaftErrors.FencedLeaderEpoch, -1, int.MaxValue, true),
        ["vote-response-denied"] = new VoteResponse(short.MinValue, int.MinValue, -1, false),
        ["begin-request"] = new BeginQuorumEpochRequest("ünïcödé-集群-🚀", 2, 7),
        ["begin-response"] = new BeginQuorumEpochResponse(short.MaxValue, 2, 7),
        ["end-request"] = new EndQuorumEpochRequest("c", 1, 9, [3, 2, int.MaxValue, -1]),
        ["end-request-no-successors"] = new EndQuorumEpochRequest("c", 1, 9, []),
        ["end-response"] = new EndQuorumEpochResponse(RaftErrors.None, -1, -1),
        ["fetch-request"] = new FetchRequest("c", -1, 0, long.MinValue, -1, int.MaxValue),
        ["fetch-request-long-poll"] = new FetchRequest("c", 2, 7, 41, 6, 1 << 20, int.MaxValue, long.MaxValue),
        ["fetch-response"] = new FetchResponse(RaftErrors.None, 1, 5, 100, 0, -1, -1,
            [new RaftEntry(98, 5, [1, 2, 3]), new RaftEntry(99, 5, []), new RaftEntry(long.MaxValue, int.MinValue, [0xFF])]),
        ["fetch-response-diverging"] = new FetchResponse(RaftErrors.None, 1, 5, -1, long.MaxValue, 4, 77, []),
        ["propose-request"] = new ProposeRequest("c", [9, 8, 7]),
        ["propose-request-empty"] = new ProposeRequest("", []),
        ["propose-response"] = new ProposeResponse(RaftErrors.NotLeaderOrFollower, 2, 3, -1),
    };

    public static TheoryData<string> AllMessageNames => [.. AllMessages().Keys];

    private static Dictionary<string, object> AllMessages()
    {
        var all = SmallMessages();
        var big = new byte[3 * 1024 * 1024];
        new Random(42).NextBytes(big);
        all["vote-request-longest-cluster-id"] = new VoteRequest(LongClusterId, 1, 1, 1, 1, false);
        all["end-request-many-successors"] = new EndQuorumEpochRequest("c", 1, 1, [.. Enumerable.Range(0, 10_000)]);
        all["fetch-response-large"] = new FetchResponse(RaftErrors.None, 1, 1, 5000, 0, -1, -1,
            [.. Enumerable.Range(0, 5000).Select(i => new RaftEntry(i, i / 100, big.AsSpan(i, i % 700).ToArray())), new RaftEntry(5000, 50, big)]);
        all["propose-request-large"] = new ProposeRequest(LongClusterId, big);
        return all;
    }

    [Theory]
    [MemberData(nameof(AllMessageNames))]
    public void Round_trips_every_message(string name)
    {
        var message = AllMessages()[name];
        var encoded = Encode(message);
        Assert.Equal(GetSize(message), encoded.Length);
        var decoded = message is RaftRequest ? (object)RaftCodec.DecodeRequest(encoded) : RaftCodec.DecodeResponse(encoded);
        AssertSameMessage(message, decoded);

        // The same through a frame, from a contiguous span and from a sequence of small segments.
        var frame = message is RaftRequest q ? RaftFrame.Encode(-17, q) : RaftFrame.Encode(-17, (RaftResponse)message);
        var fromFrame = message is RaftRequest
            ? (object)RaftFrame.DecodeRequest(frame, out var correlationId)
            : RaftFrame.DecodeResponse(frame, out correlationId);
        Assert.Equal(-17, correlationId);
        AssertSameMessage(message, fromFrame);

        var sequence = Segmented(frame, 7);
        Assert.True(RaftFrame.TryRead(ref sequence, out correlationId, out var body));
        Assert.Equal(-17, correlationId);
        Assert.Equal(0, sequence.Length);
        var fromSequence = message is RaftRequest ? (object)RaftCodec.DecodeRequest(body) : RaftCodec.DecodeResponse(body);
        AssertSameMessage(message, fromSequence);
    }

    [Fact]
    public void Nulls_encode_as_empty()
    {
        var request = new ProposeRequest(null!, null!);
        var decoded = Assert.IsType<ProposeRequest>(RaftCodec.DecodeRequest(RaftCodec.Encode(request)));
        Assert.Equal("", decoded.ClusterId);
        Assert.Empty(decoded.Payload);

        var end = Assert.IsType<EndQuorumEpochRequest>(RaftCodec.DecodeRequest(RaftCodec.Encode(new EndQuorumEpochRequest("c", 1, 2, null!))));
        Assert.Empty(end.PreferredSuccessors);

        var fetch = Assert.IsType<FetchResponse>(RaftCodec.DecodeResponse(RaftCodec.Encode(new FetchResponse(0, 1, 1, 1, 1, 1, 1, null!))));
        Assert.Empty(fetch.Entries);
    }

    [Fact]
    public void Encoding_rejects_what_the_format_cannot_carry()
    {
        Assert.Throws<ArgumentException>(() => RaftCodec.Encode(new VoteRequest(LongClusterId + "x", 1, 1, 1, 1, false)));
        Assert.Throws<ArgumentException>(() => RaftCodec.Encode(new ProposeRequest("c", new byte[RaftCodec.MaxMessageBytes])));
        Assert.Throws<ArgumentException>(() => RaftCodec.Write(new VoteResponse(0, 1, 1, true), new byte[5]));
    }

    [Theory]
    [MemberData(nameof(SmallMessageNames))]
    public void A_frame_truncated_anywhere_is_invalid_data(string name)
    {
        var message = SmallMessages()[name];
        var frame = message is RaftRequest q ? RaftFrame.Encode(5, q) : RaftFrame.Encode(5, (RaftResponse)message);
        for (var length = 0; length < frame.Length; length++)
        {
            var truncated = frame.AsSpan(0, length).ToArray();

            // As a whole frame: short of what its size prefix promises.
            AssertInvalid(() => Decode(message, truncated));

            // On a stream: not complete yet, so nothing is taken and nothing is thrown.
            var sequence = Segmented(truncated, 3);
            Assert.False(RaftFrame.TryRead(ref sequence, out _, out _));
            Assert.Equal(length, sequence.Length);

            // With the size prefix shrunk to match: the message itself is cut short.
            if (length >= 4)
            {
                BinaryPrimitives.WriteInt32BigEndian(truncated, length - 4);
                AssertInvalid(() => Decode(message, truncated));
                sequence = new ReadOnlySequence<byte>(truncated);
                if (length > RaftFrame.HeaderBytes)
                {
                    Assert.True(RaftFrame.TryRead(ref sequence, out _, out var body));
                    AssertInvalid(() => DecodeBody(message, body));
                }
                else
                {
                    AssertInvalid(() => TryRead(truncated));
                }
            }
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(RaftFrame.MaxSize + 1)]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(4)]
    public void A_size_prefix_out_of_range_is_rejected_before_the_body(int size)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, size);
        AssertInvalid(() => TryRead(prefix));
        AssertInvalid(() => RaftFrame.DecodeRequest(prefix, out _));
    }

    [Fact]
    public void The_largest_size_prefix_is_accepted_and_waits_for_the_body()
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, RaftFrame.MaxSize);
        var sequence = new ReadOnlySequence<byte>(prefix);
        Assert.False(RaftFrame.TryRead(ref sequence, out _, out _));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1_000_000)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_huge_or_negative_count_is_invalid_data(int count)
    {
        // FetchResponse: type, error, leader, epoch, high watermark, log start, diverging epoch and offset, count.
        var fetch = RaftCodec.Encode(new FetchResponse(0, 1, 1, 1, 1, 1, 1, [new RaftEntry(1, 1, [1, 2, 3])]));
        BinaryPrimitives.WriteInt32BigEndian(fetch.AsSpan(1 + 2 + 4 + 4 + 8 + 8 + 4 + 8), count);
        AssertInvalid(() => RaftCodec.DecodeResponse(fetch));

        // The entry's payload length.
        fetch = RaftCodec.Encode(new FetchResponse(0, 1, 1, 1, 1, 1, 1, [new RaftEntry(1, 1, [1, 2, 3])]));
        BinaryPrimitives.WriteInt32BigEndian(fetch.AsSpan(1 + 2 + 4 + 4 + 8 + 8 + 4 + 8 + 4 + 8 + 4), count);
        AssertInvalid(() => RaftCodec.DecodeResponse(fetch));

        // EndQuorumEpochRequest: type, cluster id "c", leader, epoch, count.
        var end = RaftCodec.Encode(new EndQuorumEpochRequest("c", 1, 1, [1, 2]));
        BinaryPrimitives.WriteInt32BigEndian(end.AsSpan(1 + 3 + 4 + 4), count);
        AssertInvalid(() => RaftCodec.DecodeRequest(end));

        // ProposeRequest: type, cluster id "c", payload length.
        var propose = RaftCodec.Encode(new ProposeRequest("c", [1]));
        BinaryPrimitives.WriteInt32BigEndian(propose.AsSpan(1 + 3), count);
        AssertInvalid(() => RaftCodec.DecodeRequest(propose));
    }

    [Fact]
    public void Other_malformed_messages_are_invalid_data()
    {
        // A negative or overlong string length.
        var vote = RaftCodec.Encode(new VoteRequest("abc", 1, 1, 1, 1, true));
        BinaryPrimitives.WriteInt16BigEndian(vote.AsSpan(1), -1);
        AssertInvalid(() => RaftCodec.DecodeRequest(vote));
        BinaryPrimitives.WriteInt16BigEndian(vote.AsSpan(1), short.MaxValue);
        AssertInvalid(() => RaftCodec.DecodeRequest(vote));

        // A string that is not UTF-8.
        vote = RaftCodec.Encode(new VoteRequest("abc", 1, 1, 1, 1, true));
        vote[3] = 0xFF;
        AssertInvalid(() => RaftCodec.DecodeRequest(vote));

        // A boolean that is neither 0 nor 1.
        vote = RaftCodec.Encode(new VoteRequest("abc", 1, 1, 1, 1, true));
        vote[^1] = 2;
        AssertInvalid(() => RaftCodec.DecodeRequest(vote));

        // Trailing bytes.
        var response = RaftCodec.Encode(new VoteResponse(0, 1, 1, true));
        AssertInvalid(() => RaftCodec.DecodeResponse([.. response, 0]));

        // Unknown types, an empty message, and a request where a response belongs (and the reverse).
        AssertInvalid(() => RaftCodec.DecodeRequest([0]));
        AssertInvalid(() => RaftCodec.DecodeRequest([200, 1, 2, 3]));
        AssertInvalid(() => RaftCodec.DecodeRequest([]));
        AssertInvalid(() => RaftCodec.DecodeResponse(vote.AsSpan(0, vote.Length)));
        AssertInvalid(() => RaftCodec.DecodeRequest(response));

        // A frame longer than its size prefix says.
        var frame = RaftFrame.Encode(1, new VoteResponse(0, 1, 1, true));
        AssertInvalid(() => RaftFrame.DecodeResponse([.. frame, 0], out _));
    }

    [Fact]
    public void Random_corruption_decodes_or_is_invalid_data()
    {
        var random = new Random(7);
        foreach (var message in SmallMessages().Values)
        {
            var frame = message is RaftRequest q ? RaftFrame.Encode(5, q) : RaftFrame.Encode(5, (RaftResponse)message);
            for (var round = 0; round < 500; round++)
            {
                var corrupt = frame.ToArray();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
                try
                {
                    Decode(message, corrupt);
                }
                catch (InvalidDataException)
                {
                    // Expected for most corruptions.
                }
            }
        }
    }

    private static void AssertInvalid(Action action)
    {
        var ex = Record.Exception(action);
        Assert.NotNull(ex);
        Assert.IsType<InvalidDataException>(ex);
    }

    private static void TryRead(byte[] bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        RaftFrame.TryRead(ref sequence, out _, out _);
    }

    private static object Decode(object like, byte[] frame) =>
        like is RaftRequest ? RaftFrame.DecodeRequest(frame, out _) : RaftFrame.DecodeResponse(frame, out _);

    private static object DecodeBody(object like, ReadOnlySequence<byte> body) =>
        like is RaftRequest ? RaftCodec.DecodeRequest(body) : RaftCodec.DecodeResponse(body);

    private static byte[] Encode(object message) =>
        message is RaftRequest q ? RaftCodec.Encode(q) : RaftCodec.Encode((RaftResponse)message);

    private static int GetSize(object message) =>
        message is RaftRequest q ? RaftCodec.GetSize(q) : RaftCodec.GetSize((RaftResponse)message);

    /// <summary>Records holding lists and arrays compare those by reference; this compares them by content.</summary>
    internal static void AssertSameMessage(object expected, object actual)
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
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }

    /// <summary>The bytes as a sequence of segments of at most <paramref name="segmentSize"/> bytes.</summary>
    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        if (bytes.Length == 0)
            return ReadOnlySequence<byte>.Empty;
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentSize)
        {
            var memory = bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset));
            if (last is null)
                first = last = new Segment(memory, 0);
            else
                last = last.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
