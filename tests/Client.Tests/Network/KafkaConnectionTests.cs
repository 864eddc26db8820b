using System.Buffers;
using System.Buffers.Binary;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Tests.Network;

public class KafkaConnectionTests
{
    private static readonly KafkaConnectionOptions NoHandshake = new() { NegotiateApiVersions = false, ClientId = "test-client" };

    private static byte[] IntBody(int value)
    {
        var body = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(body, value);
        return body;
    }

    [Fact]
    public async Task Pipelined_requests_get_their_own_responses()
    {
        const int count = 200;
        var allArrived = new TaskCompletionSource();
        PipeBroker? brokerRef = null;
        await using var broker = new PipeBroker(async request =>
        {
            // Hold every response until all requests are on the wire: they must all be in flight at once.
            if (brokerRef!.Received == count)
            {
                allArrived.TrySetResult();
            }

            await allArrived.Task;
            var echoed = BinaryPrimitives.ReadInt32BigEndian(request.Body);
            return IntBody(echoed * 2);
        });
        brokerRef = broker;
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var tasks = Enumerable.Range(0, count).Select(i =>
            connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(i), 1, 0)).ToArray();

        // The broker answers in order, so only the first request's handler checks the count; if it ran before the
        // last request arrived, nothing would release it. Release the held responses once all 200 are received.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (broker.Received < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(count, broker.Received);
        allArrived.TrySetResult();
        var responses = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i * 2, BinaryPrimitives.ReadInt32BigEndian(responses[i].Span));
        }

        Assert.Equal(0, connection.InFlightCount);
    }

    [Fact]
    public async Task Request_header_carries_key_version_client_id_and_flexible_tagged_fields()
    {
        var seen = new List<ReceivedRequest>();
        await using var broker = new PipeBroker(request =>
        {
            lock (seen)
            {
                seen.Add(request);
            }

            return Task.FromResult<byte[]?>([7]);
        })
        {
            IsFlexibleHeader = (key, version) => key == ApiKey.CreateTopics && version >= 5,
        };
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var flexible = await connection.SendRawAsync(ApiKey.CreateTopics, 5, new byte[] { 1, 2, 3 }, 2, 1);
        var classic = await connection.SendRawAsync(ApiKey.CreateTopics, 4, new byte[] { 4 }, 1, 0);

        Assert.Equal(new byte[] { 7 }, flexible.ToArray());
        Assert.Equal(new byte[] { 7 }, classic.ToArray());
        Assert.Equal(ApiKey.CreateTopics, seen[0].ApiKey);
        Assert.Equal(5, seen[0].ApiVersion);
        Assert.Equal("test-client", seen[0].ClientId);
        Assert.Equal(new byte[] { 1, 2, 3 }, seen[0].Body);
        Assert.Equal(new byte[] { 4 }, seen[1].Body);
        Assert.Equal(seen[0].CorrelationId + 1, seen[1].CorrelationId);
    }

    [Fact]
    public async Task Disconnect_fails_every_request_in_flight_and_later_sends()
    {
        var never = new TaskCompletionSource<byte[]?>();
        await using var broker = new PipeBroker(_ => never.Task);
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var tasks = Enumerable.Range(0, 10).Select(i => connection.SendRawAsync(ApiKey.Fetch, 4, IntBody(i), 1, 0)).ToArray();
        await WaitUntil(() => broker.Received == 10);
        await broker.DisconnectAsync();

        foreach (var task in tasks)
        {
            var ex = await Assert.ThrowsAsync<KafkaConnectionException>(() => task.WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.Contains("closed", ex.Message, StringComparison.Ordinal);
        }

        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(connection.IsConnected);
        await Assert.ThrowsAsync<KafkaConnectionException>(() => connection.SendRawAsync(ApiKey.Fetch, 4, IntBody(1), 1, 0));
        never.SetResult(null);
    }

    [Fact]
    public async Task Timed_out_request_is_skipped_and_later_responses_still_match()
    {
        var release = new TaskCompletionSource();
        await using var broker = new PipeBroker(async request =>
        {
            var value = BinaryPrimitives.ReadInt32BigEndian(request.Body);
            if (value == 1)
            {
                await release.Task;
            }

            return IntBody(value + 100);
        });
        var options = new KafkaConnectionOptions { NegotiateApiVersions = false, RequestTimeout = TimeSpan.FromMilliseconds(200) };
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, options);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(1), 1, 0));
        Assert.Contains("Metadata v1", ex.Message, StringComparison.Ordinal);
        release.SetResult();

        var next = await connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(2), 1, 0);
        Assert.Equal(102, BinaryPrimitives.ReadInt32BigEndian(next.Span));
        Assert.True(connection.IsConnected);
    }

    [Fact]
    public async Task Cancelled_request_throws_and_connection_keeps_working()
    {
        var release = new TaskCompletionSource();
        await using var broker = new PipeBroker(async request =>
        {
            var value = BinaryPrimitives.ReadInt32BigEndian(request.Body);
            if (value == 1)
            {
                await release.Task;
            }

            return IntBody(value + 100);
        });
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        using var cts = new CancellationTokenSource();
        var cancelled = connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(1), 1, 0, cancellationToken: cts.Token);
        await WaitUntil(() => broker.Received == 1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        var pipelined = connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(3), 1, 0);
        release.SetResult();
        Assert.Equal(103, BinaryPrimitives.ReadInt32BigEndian((await pipelined).Span));
    }

    [Fact]
    public async Task Requests_without_response_do_not_consume_a_response()
    {
        await using var broker = new PipeBroker(request => Task.FromResult(
            request.ApiKey == ApiKey.Produce ? null : (byte[]?)IntBody(BinaryPrimitives.ReadInt32BigEndian(request.Body))));
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var noAck = await connection.SendRawAsync(ApiKey.Produce, 7, IntBody(5), 1, 0, expectResponse: false);
        var answered = await connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(6), 1, 0);

        Assert.True(noAck.IsEmpty);
        Assert.Equal(6, BinaryPrimitives.ReadInt32BigEndian(answered.Span));
    }

    [Fact]
    public async Task Wrong_correlation_id_closes_the_connection()
    {
        var never = new TaskCompletionSource<byte[]?>();
        await using var broker = new PipeBroker(_ => never.Task);
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var pending = connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(1), 1, 0);
        await WaitUntil(() => broker.Received == 1);
        await broker.WriteRawAsync([0, 0, 0, 4, 0, 0, 0x30, 0x39]);

        var ex = await Assert.ThrowsAsync<KafkaConnectionException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("Correlation id mismatch", ex.Message, StringComparison.Ordinal);
        Assert.False(connection.IsConnected);
        never.SetResult(null);
    }

    [Fact]
    public async Task Absurd_response_size_closes_the_connection_with_a_clear_error()
    {
        var never = new TaskCompletionSource<byte[]?>();
        await using var broker = new PipeBroker(_ => never.Task);
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);

        var pending = connection.SendRawAsync(ApiKey.Metadata, 1, IntBody(1), 1, 0);
        await WaitUntil(() => broker.Received == 1);
        await broker.WriteRawAsync([0x7F, 0xFF, 0xFF, 0xFF]);

        var ex = await Assert.ThrowsAsync<KafkaConnectionException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("Invalid response size", ex.Message, StringComparison.Ordinal);
        never.SetResult(null);
    }

    [Fact]
    public async Task Handshake_reads_broker_versions_and_picks_the_highest_common_version()
    {
        await using var broker = new PipeBroker(request =>
        {
            Assert.Equal(ApiKey.ApiVersions, request.ApiKey);
            // v0 body: error_code, [api_key, min, max]
            var body = new byte[2 + 4 + (2 * 6)];
            BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(2), 2);
            WriteRange(body.AsSpan(6), ApiKey.Metadata, 0, 9);
            WriteRange(body.AsSpan(12), ApiKey.Produce, 3, 11);
            return Task.FromResult<byte[]?>(body);
        });
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide);

        Assert.Equal(9, connection.PickVersion(ApiKey.Metadata, new ApiVersionRange(0, 12)));
        Assert.Equal(7, connection.PickVersion(ApiKey.Produce, new ApiVersionRange(0, 7)));
        Assert.True(connection.SupportsApi(ApiKey.Produce));
        Assert.False(connection.SupportsApi(ApiKey.Fetch));
        var missing = Assert.Throws<KafkaException>(() => connection.PickVersion(ApiKey.Fetch, new ApiVersionRange(0, 12)));
        Assert.Equal(ErrorCode.UnsupportedVersion, missing.Code);
        var disjoint = Assert.Throws<KafkaException>(() => connection.PickVersion(ApiKey.Produce, new ApiVersionRange(0, 2)));
        Assert.Contains("broker pipe supports 3-11", disjoint.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leased_responses_decode_and_leave_unleased_responses_untouched()
    {
        // A leased response's frame goes back to the shared pool and is handed to the next leased response; a plain
        // response read in between must keep its own bytes.
        await using var broker = new PipeBroker(request =>
        {
            var fill = (byte)Marker(request);
            var response = new FetchResponse { SessionId = 0 };
            var topic = new FetchResponse.FetchableTopicResponse { TopicId = TopicId };
            topic.Partitions.Add(new FetchResponse.PartitionData
            {
                PartitionIndex = 0,
                HighWatermark = fill,
                Records = new MemoryRecordSet(Enumerable.Repeat(fill, 300_000).ToArray()),
            });
            response.Responses.Add(topic);
            var output = new ArrayBufferWriter<byte>();
            var writer = new KafkaWriter(output);
            MessageCodec.Write(ref writer, response, request.ApiVersion);
            return Task.FromResult<byte[]?>(output.WrittenSpan.ToArray());
        })
        { IsFlexibleHeader = (key, version) => key == ApiKey.Fetch && version >= 12 };
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, NoHandshake);
        var versions = new ApiVersionRange(12, 12);

        using (var first = await connection.SendLeasedAsync<FetchRequest, FetchResponse>(_ => Fetch(1), versions))
        {
            AssertRecords(first.Response, 1);
        }

        var plain = await connection.SendAsync<FetchRequest, FetchResponse>(_ => Fetch(2), versions);
        for (var fill = 3; fill < 8; fill++)
        {
            using var leased = await connection.SendLeasedAsync<FetchRequest, FetchResponse>(_ => Fetch(fill), versions);
            AssertRecords(leased.Response, fill);
        }

        AssertRecords(plain, 2);
        Assert.Equal(0, connection.InFlightCount);
    }

    [Fact]
    public async Task A_timed_out_leased_request_is_skipped_and_the_next_one_decodes()
    {
        var release = new TaskCompletionSource();
        await using var broker = new PipeBroker(async request =>
        {
            var value = Marker(request);
            if (value == 1)
            {
                await release.Task;
            }

            var response = new FetchResponse { SessionId = value };
            var output = new ArrayBufferWriter<byte>();
            var writer = new KafkaWriter(output);
            MessageCodec.Write(ref writer, response, request.ApiVersion);
            return output.WrittenSpan.ToArray();
        })
        { IsFlexibleHeader = (key, version) => key == ApiKey.Fetch && version >= 12 };
        var options = new KafkaConnectionOptions { NegotiateApiVersions = false, RequestTimeout = TimeSpan.FromMilliseconds(200) };
        await using var connection = await KafkaConnection.ConnectAsync(broker.ClientSide, options);
        var versions = new ApiVersionRange(12, 12);

        await Assert.ThrowsAsync<TimeoutException>(() => connection.SendLeasedAsync<FetchRequest, FetchResponse>(_ => Fetch(1), versions));
        release.SetResult();
        using var next = await connection.SendLeasedAsync<FetchRequest, FetchResponse>(_ => Fetch(2), versions);
        Assert.Equal(2, next.Response.SessionId);
        Assert.True(connection.IsConnected);
    }

    private static readonly Guid TopicId = Guid.NewGuid();

    /// <summary>A Fetch v12 request whose only partition's fetch offset carries <paramref name="marker"/> for the responder.</summary>
    private static FetchRequest Fetch(int marker)
    {
        var request = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 1, MaxBytes = int.MaxValue, SessionEpoch = -1 };
        var topic = new FetchRequest.FetchTopic { Topic = "t" };
        topic.Partitions.Add(new FetchRequest.FetchPartition { Partition = 0, CurrentLeaderEpoch = -1, FetchOffset = marker, LogStartOffset = -1, PartitionMaxBytes = 1 << 20 });
        request.Topics.Add(topic);
        return request;
    }

    private static int Marker(ReceivedRequest request)
    {
        var reader = new KafkaReader(request.Body);
        return (int)MessageCodec.Read<FetchRequest>(ref reader, request.ApiVersion).Topics[0].Partitions[0].FetchOffset;
    }

    private static void AssertRecords(FetchResponse response, int fill)
    {
        var data = Assert.Single(Assert.Single(response.Responses).Partitions);
        Assert.Equal(fill, data.HighWatermark);
        var bytes = Assert.IsType<MemoryRecordSet>(data.Records).Bytes;
        Assert.Equal(300_000, bytes.Length);
        Assert.True(bytes.Span.IndexOfAnyExcept((byte)fill) < 0, $"records of response {fill} changed");
    }

    private static void WriteRange(Span<byte> span, ApiKey key, short min, short max)
    {
        BinaryPrimitives.WriteInt16BigEndian(span, (short)key);
        BinaryPrimitives.WriteInt16BigEndian(span[2..], min);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], max);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met within 10 seconds.");
            await Task.Delay(1); // poll interval, not a synchronisation sleep
        }
    }
}
