using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Network;

namespace KafkaOperator.Server.Tests.Quorum;

/// <summary>
/// The quorum's TCP client (<see cref="TcpRaftTransport"/>) against a CONTROLLER listener served by the broker's
/// network layer, and against hand-written peers: Kafka frames both ways, pipelining, timeouts, reconnects and bad
/// input on either side.
/// </summary>
public sealed class ControllerTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [ThreadStatic]
    private static bool _insideSend;

    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
            await _cleanup[i].DisposeAsync();
    }

    [Fact]
    public async Task Every_request_type_gets_its_response()
    {
        var server = await StartServerAsync(new Handler((request, _) => Task.FromResult(Echo(request))));
        var transport = Transport(server.Port());
        var payload = new byte[2 * 1024 * 1024];
        new Random(3).NextBytes(payload);

        var vote = Assert.IsType<VoteResponse>(await SendAsync(transport, 1, new VoteRequest("c", 4, 2, 3, 10, true)));
        Assert.Equal(new VoteResponse(RaftErrors.None, 2, 4, true), vote);
        var begin = Assert.IsType<BeginQuorumEpochResponse>(await SendAsync(transport, 1, new BeginQuorumEpochRequest("c", 3, 5)));
        Assert.Equal(new BeginQuorumEpochResponse(RaftErrors.None, 3, 5), begin);
        var end = Assert.IsType<EndQuorumEpochResponse>(await SendAsync(transport, 1, new EndQuorumEpochRequest("c", 3, 5, [2, 1])));
        Assert.Equal(new EndQuorumEpochResponse(RaftErrors.None, 3, 5), end);
        var fetch = Assert.IsType<FetchResponse>(await SendAsync(transport, 1, new FetchRequest("c", 2, 5, 41, 4, 1 << 20)));
        Assert.Equal(41, fetch.HighWatermark);
        var propose = Assert.IsType<ProposeResponse>(await SendAsync(transport, 1, new ProposeRequest("c", payload)));
        Assert.Equal(payload.Length, propose.Offset);

        // A large response, too.
        var big = new FetchResponse(RaftErrors.None, 1, 1, 2, 0, -1, -1, [new RaftEntry(0, 1, payload), new RaftEntry(1, 1, [])]);
        await using var bigServer = await StartServerAsync(new Handler((_, _) => Task.FromResult<RaftResponse>(big)));
        var bigTransport = Transport(bigServer.Port());
        var received = await SendAsync(bigTransport, 1, new FetchRequest("c", 2, 1, 0, 0, 1 << 22));
        Assert.Equal(big.Entries.Select(e => (e.Offset, e.Epoch, e.Payload.Length)), Assert.IsType<FetchResponse>(received).Entries.Select(e => (e.Offset, e.Epoch, e.Payload.Length)));
        Assert.Equal(payload, ((FetchResponse)received!).Entries[0].Payload);
    }

    [Fact]
    public async Task Pipelined_requests_are_handled_concurrently_and_each_gets_its_own_answer()
    {
        const int Count = 100;
        var gates = new ConcurrentDictionary<long, TaskCompletionSource<RaftResponse>>();
        var allArrived = NewTcs<bool>();
        var server = await StartServerAsync(new Handler((request, _) =>
        {
            var fetch = (FetchRequest)request;
            var gate = gates.GetOrAdd(fetch.FetchOffset, _ => NewTcs<RaftResponse>());
            if (gates.Count == Count)
                allArrived.TrySetResult(true);
            return gate.Task;
        }));
        var transport = Transport(server.Port());

        var results = new Task<RaftResponse?>[Count];
        for (var i = 0; i < Count; i++)
            results[i] = SendAsync(transport, 1, new FetchRequest("c", 2, 1, i, 0, 100));

        // All hundred are in the handler at once: none waits for another to be answered. They complete last first;
        // the listener writes them in request order, as a Kafka server does.
        await allArrived.Task.WaitAsync(Patience);
        for (var i = Count - 1; i >= 0; i--)
            gates[i].SetResult(new FetchResponse(RaftErrors.None, 1, 1, i, 0, -1, -1, []));
        for (var i = 0; i < Count; i++)
            Assert.Equal(i, Assert.IsType<FetchResponse>(await results[i]).HighWatermark);
    }

    [Fact]
    public async Task A_held_fetch_does_not_hold_up_a_vote_behind_it()
    {
        var release = NewTcs<RaftResponse>();
        var server = await StartServerAsync(new Handler((request, _) =>
            request is FetchRequest ? release.Task : Task.FromResult(Echo(request))));
        var transport = Transport(server.Port());

        var slow = SendAsync(transport, 1, new FetchRequest("c", 2, 1, 0, 0, 100));
        var fast = await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
        Assert.IsType<VoteResponse>(fast);
        Assert.False(slow.IsCompleted);
        release.SetResult(new FetchResponse(RaftErrors.None, 1, 1, 7, 0, -1, -1, []));
        Assert.Equal(7, Assert.IsType<FetchResponse>(await slow).HighWatermark);
    }

    [Fact]
    public async Task A_timed_out_request_gets_null_exactly_once_and_its_late_response_is_ignored()
    {
        // A hand-written peer, so the late response can be put on the wire strictly before the next one.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var transport = Transport(((IPEndPoint)listener.LocalEndpoint).Port, timeoutMs: 1000);

        // Connect first, so the request below is on the wire well before its timeout even on a loaded machine.
        var warmUp = SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var stream = peer.GetStream();
        await AnswerApiVersionsAsync(stream);
        var (warmUpId, warmUpRequest) = await ReadRequestAsync(stream);
        await stream.WriteAsync(ControllerListener.ResponseFrame(warmUpId, warmUpRequest, new VoteResponse(RaftErrors.None, 1, 1, true)));
        Assert.IsType<VoteResponse>(await warmUp);

        var calls = 0;
        var late = NewTcs<RaftResponse?>();
        transport.Send(1, new VoteRequest("c", 1, 2, 0, 0, false), response =>
        {
            Interlocked.Increment(ref calls);
            late.TrySetResult(response);
        });
        var (lateId, lateRequest) = await ReadRequestAsync(stream);
        Assert.Null(await late.Task.WaitAsync(Patience));

        var next = SendAsync(transport, 1, new BeginQuorumEpochRequest("c", 1, 1));
        var (nextId, nextRequest) = await ReadRequestAsync(stream);
        Assert.NotEqual(lateId, nextId);
        await stream.WriteAsync((byte[])[
            .. ControllerListener.ResponseFrame(lateId, lateRequest, new VoteResponse(RaftErrors.None, 1, 1, true)),
            .. ControllerListener.ResponseFrame(nextId, nextRequest, new BeginQuorumEpochResponse(RaftErrors.None, 1, 1)),
        ]);
        Assert.IsType<BeginQuorumEpochResponse>(await next);

        // The late response was read before the next one, matched nothing, and left the connection usable.
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task A_request_with_no_response_times_out_with_null()
    {
        var server = await StartServerAsync(new Handler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }));
        var transport = Transport(server.Port(), timeoutMs: 150);
        Assert.Null(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));
    }

    [Fact]
    public async Task A_killed_server_gives_null_and_a_new_server_on_the_same_port_is_reconnected()
    {
        var entered = NewTcs<bool>();
        var server = await StartServerAsync(new Handler(async (request, ct) =>
        {
            if (request is FetchRequest)
            {
                entered.TrySetResult(true);
                await Task.Delay(Timeout.Infinite, ct);
            }
            return Echo(request);
        }));
        var port = server.Port();
        var transport = Transport(port, timeoutMs: 10_000);
        Assert.IsType<VoteResponse>(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));

        // In flight when the server stops: answered BROKER_NOT_AVAILABLE as the listener closes (or null, had the
        // connection gone first), long before the 10 s timeout.
        var inFlight = SendAsync(transport, 1, new FetchRequest("c", 2, 1, 0, 0, 100));
        await entered.Task.WaitAsync(Patience);
        await server.DisposeAsync();
        var answer = await inFlight.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(answer is null || answer.ErrorCode == RaftErrors.BrokerNotAvailable, $"got {answer}");

        // Nothing listens: refused (or backing off), null.
        Assert.Null(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));

        await using var restarted = ControllerListener.Start(new Handler((request, _) => Task.FromResult(Echo(request))), port: port);
        Assert.Equal(port, restarted.Port());

        // Poll until the backoff lets a connect through; each attempt itself is awaited, not slept on.
        var deadline = DateTime.UtcNow + Patience;
        RaftResponse? response = null;
        while (response is null && DateTime.UtcNow < deadline)
        {
            response = await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
            if (response is null)
                await Task.Delay(20);
        }
        Assert.IsType<VoteResponse>(response);
    }

    [Fact]
    public async Task An_unknown_destination_gets_null()
    {
        var transport = Transport(1);
        Assert.Null(await SendAsync(transport, 99, new VoteRequest("c", 1, 2, 0, 0, false)));
        Assert.Contains(_log, line => line.Contains("99", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_gets_null()
    {
        var transport = new TcpRaftTransport(new Dictionary<int, DnsEndPoint> { [1] = new("quorum-0.no-such-host.invalid", 9093) }, 2000, Log);
        _cleanup.Add(transport);
        Assert.Null(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));
    }

    [Fact]
    public async Task Dispose_gives_null_to_outstanding_requests_and_to_later_sends()
    {
        var entered = NewTcs<bool>();
        var server = await StartServerAsync(new Handler(async (_, ct) =>
        {
            entered.TrySetResult(true);
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }));
        var transport = new TcpRaftTransport(Voters(server.Port()), 30_000, Log);
        var pending = SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
        await entered.Task.WaitAsync(Patience);

        await transport.DisposeAsync();
        Assert.Null(await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));
    }

    [Fact]
    public async Task A_malformed_frame_closes_that_connection_only()
    {
        var server = await StartServerAsync(new Handler((request, _) => Task.FromResult(Echo(request))));
        var transport = Transport(server.Port());
        Assert.IsType<VoteResponse>(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));

        foreach (var garbage in new[] { SizePrefix(int.MaxValue), [.. SizePrefix(6), 0, 0, 0, 1, 77, 0] })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, server.Port());
            var stream = client.GetStream();
            await stream.WriteAsync(garbage);
            var buffer = new byte[16];
            Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience)); // closed by the server
        }

        // The server and the transport's own connection carry on.
        Assert.IsType<VoteResponse>(await SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false)));
    }

    [Fact]
    public async Task A_malformed_response_fails_the_connection_with_null()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var transport = Transport(((IPEndPoint)listener.LocalEndpoint).Port, timeoutMs: 30_000);
        var pending = SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var stream = peer.GetStream();
        await AnswerApiVersionsAsync(stream);
        var (id, request) = await ReadRequestAsync(stream);
        Assert.IsType<VoteRequest>(request);
        await stream.WriteAsync(SizePrefix(-5));
        Assert.Null(await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains(_log, line => line.Contains("malformed", StringComparison.Ordinal));
        Assert.NotEqual(0, id);
    }

    [Fact]
    public async Task A_handler_that_throws_closes_that_connection_and_the_server_carries_on()
    {
        var server = await StartServerAsync(new Handler((request, _) =>
            request is VoteRequest ? throw new InvalidOperationException("boom") : Task.FromResult(Echo(request))));
        Assert.Null(await SendAsync(Transport(server.Port(), timeoutMs: 30_000), 1, new VoteRequest("c", 1, 2, 0, 0, false)));
        Assert.IsType<BeginQuorumEpochResponse>(await SendAsync(Transport(server.Port()), 1, new BeginQuorumEpochRequest("c", 1, 1)));
    }

    [Fact]
    public async Task Requests_go_at_the_highest_version_the_peer_advertises_and_fall_back_cleanly()
    {
        // A peer as an older Kafka controller would be: Vote without pre-vote, BeginQuorumEpoch v0, Fetch up to v17,
        // and neither FetchSnapshot nor the project's QuorumPropose.
        (ApiKey, short, short)[] advertised = [(ApiKey.Vote, 0, 1), (ApiKey.BeginQuorumEpoch, 0, 0), (ApiKey.EndQuorumEpoch, 0, 1), (ApiKey.Fetch, 4, 17)];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var transport = Transport(((IPEndPoint)listener.LocalEndpoint).Port, timeoutMs: 30_000);

        var vote = SendAsync(transport, 1, new VoteRequest("c", 3, 2, 1, 5, false));
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var stream = peer.GetStream();
        await AnswerApiVersionsAsync(stream, advertised);
        var (header, body) = await ReadFrameAsync(stream);
        Assert.Equal((ApiKey.Vote, (short)1), (header.ApiKey, header.RequestApiVersion));
        await stream.WriteAsync(Response(header, new VoteResponse(RaftErrors.None, -1, 3, true)));
        Assert.Equal(new VoteResponse(RaftErrors.None, -1, 3, true), await vote);
        Assert.IsType<KafkaOperator.Protocol.Messages.VoteRequest>(body);

        var begin = SendAsync(transport, 1, new BeginQuorumEpochRequest("c", 2, 3));
        (header, _) = await ReadFrameAsync(stream);
        Assert.Equal((ApiKey.BeginQuorumEpoch, (short)0), (header.ApiKey, header.RequestApiVersion));
        await stream.WriteAsync(Response(header, new BeginQuorumEpochResponse(RaftErrors.None, 2, 3)));
        Assert.Equal(new BeginQuorumEpochResponse(RaftErrors.None, 2, 3), await begin);

        // No version both sides support: answered at once, nothing written (the next frame read is the next request).
        var preVote = await SendAsync(transport, 1, new VoteRequest("c", 3, 2, 1, 5, true));
        Assert.Equal(RaftErrors.UnsupportedVersion, preVote!.ErrorCode);
        Assert.Equal(RaftErrors.UnsupportedVersion, (await SendAsync(transport, 1, new ProposeRequest("c", [1])))!.ErrorCode);
        Assert.Equal(RaftErrors.UnsupportedVersion, (await SendAsync(transport, 1, new ProposeRequest("c", [2])))!.ErrorCode);
        Assert.Single(_log, l => l.Contains("QuorumPropose versions none", StringComparison.Ordinal));
        var end = SendAsync(transport, 1, new EndQuorumEpochRequest("c", 2, 3, [1]));
        (header, _) = await ReadFrameAsync(stream);
        Assert.Equal((ApiKey.EndQuorumEpoch, (short)1), (header.ApiKey, header.RequestApiVersion));
        await stream.WriteAsync(Response(header, new EndQuorumEpochResponse(RaftErrors.None, 2, 3)));
        Assert.IsType<EndQuorumEpochResponse>(await end);

        // Fetches go on their own connection, which negotiates too: v17, without the follower's high watermark.
        var fetch = SendAsync(transport, 1, new FetchRequest("c", 2, 3, 10, 3, 1 << 20, 0, 9));
        using var fetchPeer = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var fetchStream = fetchPeer.GetStream();
        await AnswerApiVersionsAsync(fetchStream, advertised);
        (header, body) = await ReadFrameAsync(fetchStream);
        Assert.Equal((ApiKey.Fetch, (short)17), (header.ApiKey, header.RequestApiVersion));
        var partition = ((KafkaOperator.Protocol.Messages.FetchRequest)body).Topics.Single().Partitions.Single();
        Assert.Equal((10L, long.MaxValue), (partition.FetchOffset, partition.HighWatermark));
        await fetchStream.WriteAsync(Response(header, new FetchResponse(RaftErrors.None, 2, 3, 10, 0, -1, -1, [])));
        Assert.Equal(10, Assert.IsType<FetchResponse>(await fetch).HighWatermark);
    }

    [Fact]
    public async Task A_peer_that_answers_ApiVersions_with_an_error_is_a_failed_connect()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var transport = Transport(((IPEndPoint)listener.LocalEndpoint).Port, timeoutMs: 30_000);
        var pending = SendAsync(transport, 1, new VoteRequest("c", 1, 2, 0, 0, false));
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        await AnswerApiVersionsAsync(peer.GetStream(), [], errorCode: 35);
        Assert.Null(await pending);
        Assert.Contains(_log, l => l.Contains("ApiVersions answered with error 35", StringComparison.Ordinal));
    }

    /// <summary>Answers the ApiVersions a transport connection starts with: <paramref name="apis"/>, or every quorum RPC at the versions this node sends.</summary>
    private static async Task AnswerApiVersionsAsync(NetworkStream stream, (ApiKey Key, short Min, short Max)[]? apis = null, short errorCode = 0)
    {
        var (header, body) = await ReadFrameAsync(stream);
        Assert.Equal((ApiKey.ApiVersions, 0), (header.ApiKey, header.CorrelationId));
        Assert.IsType<KafkaOperator.Protocol.Messages.ApiVersionsRequest>(body);
        apis ??= [.. new[] { ApiKey.Vote, ApiKey.BeginQuorumEpoch, ApiKey.EndQuorumEpoch, ApiKey.Fetch, ApiKey.FetchSnapshot, ApiKey.QuorumPropose }
            .Select(k => (k, KafkaRaftWire.MinAcceptedVersion(k), KafkaRaftWire.SentVersion(k)))];
        var response = new KafkaOperator.Protocol.Messages.ApiVersionsResponse
        {
            ErrorCode = errorCode,
            ApiKeys = [.. apis.Select(a => new KafkaOperator.Protocol.Messages.ApiVersionsResponse.ApiVersion { ApiKey = (short)a.Key, MinVersion = a.Min, MaxVersion = a.Max })],
        };
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, header, response);
        await stream.WriteAsync(output.WrittenMemory);
    }

    private static async Task<(RequestHeader Header, object Body)> ReadFrameAsync(NetworkStream stream)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix).AsTask().WaitAsync(Patience);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await stream.ReadExactlyAsync(frame).AsTask().WaitAsync(Patience);
        return MessageCodec.ReadRequest(frame);
    }

    /// <summary>A Kafka response frame to <paramref name="header"/>'s request, at its version.</summary>
    private static byte[] Response(RequestHeader header, RaftResponse response)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, header, KafkaRaftWire.ToKafka(response));
        return output.WrittenSpan.ToArray();
    }

    private static byte[] SizePrefix(int size)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, size);
        return bytes;
    }

    private static async Task<(int CorrelationId, RaftRequest Request)> ReadRequestAsync(NetworkStream stream)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix).AsTask().WaitAsync(Patience);
        var frame = new byte[4 + BinaryPrimitives.ReadInt32BigEndian(prefix)];
        prefix.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(4)).AsTask().WaitAsync(Patience);
        var (header, body) = MessageCodec.ReadRequest(frame.AsMemory(4));
        Assert.StartsWith("raft-client", header.ClientId, StringComparison.Ordinal);
        Assert.True(KafkaRaftWire.TryFromKafka(body, 1, new LeaderAndEpoch(-1, -1), out var request, out _));
        return (header.CorrelationId, request!);
    }

    private static RaftResponse Echo(RaftRequest request) => request switch
    {
        VoteRequest r => new VoteResponse(RaftErrors.None, r.CandidateId, r.CandidateEpoch, true),
        BeginQuorumEpochRequest r => new BeginQuorumEpochResponse(RaftErrors.None, r.LeaderId, r.LeaderEpoch),
        EndQuorumEpochRequest r => new EndQuorumEpochResponse(RaftErrors.None, r.LeaderId, r.LeaderEpoch),
        FetchRequest r => new FetchResponse(RaftErrors.None, 1, r.ReplicaEpoch, r.FetchOffset, 0, -1, -1, []),
        ProposeRequest r => new ProposeResponse(RaftErrors.None, 1, 1, r.Payload.Length),
        _ => throw new ArgumentException(request.GetType().Name),
    };

    /// <summary>Sends and completes with the callback's argument; fails the test if the callback runs inside Send or twice.</summary>
    private static async Task<RaftResponse?> SendAsync(TcpRaftTransport transport, int destination, RaftRequest request)
    {
        var result = NewTcs<RaftResponse?>();
        var calls = 0;
        _insideSend = true;
        try
        {
            transport.Send(destination, request, response =>
            {
                if (_insideSend)
                    result.TrySetException(new InvalidOperationException("onResponse ran synchronously inside Send"));
                else if (Interlocked.Increment(ref calls) != 1)
                    result.TrySetException(new InvalidOperationException("onResponse ran twice"));
                else
                    result.TrySetResult(response);
            });
        }
        finally
        {
            _insideSend = false;
        }
        return await result.Task.WaitAsync(Patience);
    }

    private static TaskCompletionSource<T> NewTcs<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task<SocketServer> StartServerAsync(IRaftRequestHandler handler)
    {
        var server = ControllerListener.Start(handler);
        _cleanup.Add(server);
        return Task.FromResult(server);
    }

    private TcpRaftTransport Transport(int port, int timeoutMs = 5000)
    {
        var transport = new TcpRaftTransport(Voters(port), timeoutMs, Log);
        _cleanup.Add(transport);
        return transport;
    }

    private static Dictionary<int, DnsEndPoint> Voters(int port) => new() { [1] = new DnsEndPoint("localhost", port) };

    private void Log(string line) => _log.Enqueue(line);

    private sealed class Handler : IRaftRequestHandler
    {
        private readonly Func<RaftRequest, CancellationToken, Task<RaftResponse>> _handle;

        public Handler(Func<RaftRequest, CancellationToken, Task<RaftResponse>> handle) => _handle = handle;

        public Task<RaftResponse> HandleAsync(RaftRequest request, CancellationToken cancellationToken = default) =>
            _handle(request, cancellationToken);
    }
}
