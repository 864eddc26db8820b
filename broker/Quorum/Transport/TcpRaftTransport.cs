using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using K = KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// The quorum's client side on TCP, speaking Kafka's protocol to the other nodes' CONTROLLER listeners: each
/// request is a Kafka request frame (size prefix, header v2 with this node's client id and a correlation id, the
/// body encoded by the Protocol codec as <see cref="KafkaRaftWire"/> maps it). Two lazily opened connections per
/// node, requests pipelined on each and responses matched by correlation id: one for Fetch and FetchSnapshot, one
/// for everything else, because a Kafka server answers a connection's requests in order and a fetch the leader
/// holds (long poll) must not delay a vote or a forwarded proposal behind it. Hosts are resolved on every connect attempt (in Kubernetes a peer's DNS name
/// appears only once its pod does). After a failed connect or a lost connection the next attempt waits a backoff,
/// 50 ms doubling to 1 s and reset by a successful connect; a Send in that window, or one whose connect fails, gets
/// null; nothing is queued for later.
/// <para>
/// Each connection starts, as Kafka's NetworkClient does, with ApiVersions (v3): every request on it is then sent at
/// the highest version both sides support (<see cref="KafkaRaftWire.NegotiateVersion"/>). A request the peer has no
/// usable version of (a pre-vote to a voter without Vote v2, a forwarded proposal to a node without QuorumPropose)
/// is not sent: its callback gets UNSUPPORTED_VERSION from the transport, and the log says so once per peer and API.
/// A peer whose ApiVersions answer is an error or does not parse is treated as a failed connect.
/// </para>
/// <para>
/// Every Send's callback runs exactly once, on the thread pool, never inside Send and never under a lock: with the
/// response, or with null on timeout (counted from Send, connecting included), on connection loss, for an unknown
/// destination, or when the transport is disposed. An exception from a callback is logged and swallowed.
/// </para>
/// </summary>
public sealed class TcpRaftTransport : IRaftTransport, IAsyncDisposable
{
    private const int InitialBackoffMs = 50;
    private const int MaxBackoffMs = 1000;

    /// <summary>The ApiVersions version each connection starts with (flexible, as Kafka's clients send).</summary>
    private const short ApiVersionsVersion = 3;

    /// <summary>The largest response frame accepted (after the size prefix): 64 MiB.</summary>
    public const int MaxFrameBytes = 64 * 1024 * 1024;

    private readonly ConcurrentDictionary<int, Peer> _peers = new();
    private readonly ConcurrentDictionary<int, Peer> _fetchPeers = new();
    private readonly int _requestTimeoutMs;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentDictionary<PendingRequest, byte> _outstanding = new();
    private volatile bool _disposed;
    private int _disposeStarted;

    /// <param name="voters">Each destination id's host (a DNS name or an IP literal) and port.</param>
    /// <param name="requestTimeoutMs">How long a request may take, connecting included, before its callback gets null.</param>
    /// <param name="log">Where to report connection failures and malformed responses; optional.</param>
    /// <param name="clientId">The client id of every request header (Kafka's raft client sends "raft-client-&lt;node id&gt;").</param>
    public TcpRaftTransport(IReadOnlyDictionary<int, DnsEndPoint> voters, int requestTimeoutMs, Action<string>? log = null, string clientId = "raft-client")
    {
        ArgumentNullException.ThrowIfNull(voters);
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestTimeoutMs);
        _requestTimeoutMs = requestTimeoutMs;
        _log = log;
        ClientId = clientId;
        foreach (var (id, endpoint) in voters)
        {
            ArgumentNullException.ThrowIfNull(endpoint, nameof(voters));
            _peers[id] = new Peer(this, id, endpoint, fetchLane: false);
            _fetchPeers[id] = new Peer(this, id, endpoint, fetchLane: true);
        }
    }

    public string ClientId { get; }

    /// <summary>
    /// Adds a node first named in a response (an observer told where the leader is). A destination known already
    /// keeps its address: the configured voters are authoritative.
    /// </summary>
    public void Learn(int id, string endpoint)
    {
        if (_disposed || _peers.ContainsKey(id) || ParseEndpoint(endpoint) is not { } parsed)
            return;
        if (_peers.TryAdd(id, new Peer(this, id, parsed, fetchLane: false)))
        {
            _fetchPeers.TryAdd(id, new Peer(this, id, parsed, fetchLane: true));
            Log($"Raft transport: node {id} is at {endpoint}");
        }
    }

    /// <summary>"host:port" (an IPv6 literal in brackets) as an endpoint; null when malformed.</summary>
    public static DnsEndPoint? ParseEndpoint(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
            return null;
        var host = endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return host.Length == 0 ? null : new DnsEndPoint(host, port);
    }

    public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse)
    {
        ArgumentNullException.ThrowIfNull(onResponse);
        var pending = new PendingRequest(this, onResponse);
        if (_disposed)
        {
            pending.Complete(null);
            return;
        }
        var lanes = request is FetchRequest or FetchSnapshotRequest ? _fetchPeers : _peers;
        if (!lanes.TryGetValue(destinationId, out var peer))
        {
            Log($"Raft transport: no address for node {destinationId}");
            pending.Complete(null);
            return;
        }
        if (request is null)
        {
            Log($"Raft transport: null request to node {destinationId}");
            pending.Complete(null);
            return;
        }
        _outstanding.TryAdd(pending, 0);
        if (_disposed)
        {
            // Raced with DisposeAsync, which may already have swept the outstanding set.
            pending.Complete(null);
            return;
        }
        pending.StartTimer(_requestTimeoutMs);
        _ = peer.SendAsync(pending, request);
    }

    /// <summary>Closes every connection; each request still outstanding gets null.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
            return;
        _disposed = true;
        await _disposing.CancelAsync().ConfigureAwait(false);
        var closing = new List<Task>();
        foreach (var peer in _peers.Values.Concat(_fetchPeers.Values))
            closing.Add(peer.CloseAsync());
        await Task.WhenAll(closing).ConfigureAwait(false);
        foreach (var pending in _outstanding.Keys)
            pending.Complete(null);
        _disposing.Dispose();
    }

    private void Log(string message)
    {
        try
        {
            _log?.Invoke(message);
        }
        catch
        {
            // A failing log callback must not take the transport down with it.
        }
    }

    /// <summary>One Send's callback, completed once by whichever of response, timeout, failure or dispose is first.</summary>
    private sealed class PendingRequest
    {
        private readonly TcpRaftTransport _transport;
        private readonly Action<RaftResponse?> _onResponse;
        private Timer? _timer;
        private RaftResponse? _response;
        private int _completed;

        public PendingRequest(TcpRaftTransport transport, Action<RaftResponse?> onResponse)
        {
            _transport = transport;
            _onResponse = onResponse;
            Deadline = Stopwatch.GetTimestamp();
        }

        /// <summary>The connection and correlation id once written, so a timeout can forget the correlation.</summary>
        public ClientConnection? Connection { get; set; }

        public int CorrelationId { get; set; }

        public long Deadline { get; private set; }

        public bool IsCompleted => Volatile.Read(ref _completed) != 0;

        public void StartTimer(int timeoutMs)
        {
            Deadline = Stopwatch.GetTimestamp() + (timeoutMs * Stopwatch.Frequency / 1000);
            var timer = new Timer(static state => ((PendingRequest)state!).Complete(null), this, Timeout.Infinite, Timeout.Infinite);
            Volatile.Write(ref _timer, timer);
            timer.Change(timeoutMs, Timeout.Infinite);
            if (IsCompleted)
                timer.Dispose();
        }

        /// <summary>Milliseconds left before the deadline, at least 1.</summary>
        public int RemainingMs() =>
            (int)Math.Clamp((Deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency, 1, int.MaxValue);

        public void Complete(RaftResponse? response)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
                return;
            Volatile.Read(ref _timer)?.Dispose();
            _transport._outstanding.TryRemove(this, out _);
            Connection?.Forget(CorrelationId, this);
            _response = response;
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Invoke(), this, preferLocal: false);
        }

        private void Invoke()
        {
            try
            {
                _onResponse(_response);
            }
            catch (Exception ex)
            {
                _transport.Log($"Raft transport: response callback failed: {ex}");
            }
        }
    }

    /// <summary>A destination: its address, its current connection if any, and the reconnect backoff.</summary>
    private sealed class Peer
    {
        private readonly TcpRaftTransport _transport;
        private readonly int _id;
        private readonly DnsEndPoint _endpoint;
        private readonly bool _fetchLane;
        private readonly object _lock = new();
        private ClientConnection? _connection;
        private Task<ClientConnection?>? _connecting;
        private long _nextAttempt;
        private int _backoffMs = InitialBackoffMs;
        private int _failures;
        private long _lastFailureLog;
        private readonly HashSet<ApiKey> _unsupportedLogged = [];

        public Peer(TcpRaftTransport transport, int id, DnsEndPoint endpoint, bool fetchLane)
        {
            _transport = transport;
            _id = id;
            _endpoint = endpoint;
            _fetchLane = fetchLane;
        }

        public int Id => _id;

        /// <summary>True the first time <paramref name="apiKey"/> turns out unusable with this peer (logged once).</summary>
        public bool FirstUnsupported(ApiKey apiKey)
        {
            lock (_lock)
                return _unsupportedLogged.Add(apiKey);
        }

        public async Task SendAsync(PendingRequest pending, RaftRequest request)
        {
            try
            {
                var connection = await GetConnectionAsync().ConfigureAwait(false);
                if (connection is null || pending.IsCompleted)
                {
                    pending.Complete(null);
                    return;
                }
                await connection.SendAsync(pending, request).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _transport.Log($"Raft transport: send to node {_id} failed: {ex}");
                pending.Complete(null);
            }
        }

        public async Task CloseAsync()
        {
            ClientConnection? connection;
            Task<ClientConnection?>? connecting;
            lock (_lock)
            {
                connection = _connection;
                connecting = _connecting;
                _connection = null;
            }
            if (connecting is not null)
            {
                // Cancelled by the transport's dispose; whatever it opened closes itself.
                connection ??= await connecting.ConfigureAwait(false);
            }
            if (connection is not null)
                await connection.CloseAsync().ConfigureAwait(false);
        }

        /// <summary>The open connection, a new one, or null while backing off or when connecting fails.</summary>
        private Task<ClientConnection?> GetConnectionAsync()
        {
            lock (_lock)
            {
                if (_connection is { IsClosed: false })
                    return Task.FromResult<ClientConnection?>(_connection);
                if (_connecting is not null)
                    return _connecting;
                if (Stopwatch.GetTimestamp() < _nextAttempt || _transport._disposed)
                    return Task.FromResult<ClientConnection?>(null);
                _connecting = Task.Run(ConnectAsync);
                return _connecting;
            }
        }

        private async Task<ClientConnection?> ConnectAsync()
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_transport._disposing.Token);
                timeout.CancelAfter(_transport._requestTimeoutMs);

                // A DNS name resolves afresh on each attempt; an IP literal connects directly.
                await socket.ConnectAsync(_endpoint.Host, _endpoint.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                socket.Dispose();
                int backoff;
                int failures;
                bool log;
                lock (_lock)
                {
                    _connecting = null;
                    backoff = Backoff();
                    // A peer that is down for minutes (a pod being rescheduled) is said once, then every 30 s.
                    failures = ++_failures;
                    log = failures == 1 || Stopwatch.GetElapsedTime(_lastFailureLog).TotalSeconds >= 30;
                    if (log)
                        _lastFailureLog = Stopwatch.GetTimestamp();
                }
                var reason = ex is OperationCanceledException ? "timed out" : ex.Message;
                if (log && !_fetchLane && !_transport._disposed)
                    _transport.Log($"Raft transport: cannot connect to node {_id} at {_endpoint.Host}:{_endpoint.Port} ({reason}; {failures} attempt(s) so far); next attempt in {backoff} ms");
                return null;
            }
            var connection = new ClientConnection(_transport, this, socket);
            connection.Start();
            // Before the connection is handed out, so every request on it goes at a version the peer supports.
            var refused = _transport._disposed ? null : await connection.NegotiateVersionsAsync().ConfigureAwait(false);
            bool disposed;
            int failed;
            var retryMs = 0;
            lock (_lock)
            {
                _connecting = null;
                disposed = _transport._disposed;
                failed = _failures;
                if (!disposed && refused is null)
                {
                    _connection = connection;
                    _backoffMs = InitialBackoffMs;
                    _nextAttempt = 0;
                    _failures = 0;
                }
                else if (!disposed)
                {
                    retryMs = Backoff();
                    _failures++;
                }
            }
            if (disposed || refused is not null)
            {
                if (refused is not null && !disposed)
                    _transport.Log($"Raft transport: node {_id} at {_endpoint.Host}:{_endpoint.Port}: {refused}; next attempt in {retryMs} ms");
                await connection.CloseAsync().ConfigureAwait(false);
                return null;
            }
            if (failed > 0 && !_fetchLane)
                _transport.Log($"Raft transport: connected to node {_id} at {_endpoint.Host}:{_endpoint.Port} after {failed} failed attempt(s)");
            return connection;
        }

        /// <summary>A connection closed: forget it, and hold the next attempt back by the current backoff.</summary>
        public void Closed(ClientConnection connection, string? reason)
        {
            int backoff;
            lock (_lock)
            {
                if (_connection != connection)
                    return;
                _connection = null;
                backoff = Backoff();
            }
            if (reason is not null && !_transport._disposed)
                _transport.Log($"Raft transport: {(_fetchLane ? "fetch " : "")}connection to node {_id} lost ({reason}); next attempt in {backoff} ms");
        }

        // Under _lock.
        private int Backoff()
        {
            var backoff = _backoffMs;
            _nextAttempt = Stopwatch.GetTimestamp() + (backoff * Stopwatch.Frequency / 1000);
            _backoffMs = Math.Min(backoff * 2, MaxBackoffMs);
            return backoff;
        }
    }

    /// <summary>One open connection: pipelined writes under a lock, a read loop matching responses by correlation id.</summary>
    private sealed class ClientConnection
    {
        private readonly TcpRaftTransport _transport;
        private readonly Peer _peer;
        private readonly NetworkStream _stream;
        private readonly PipeReader _input;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly ConcurrentDictionary<int, InFlight> _inFlight = new();
        private readonly CancellationTokenSource _closed = new();
        private readonly TaskCompletionSource<K.ApiVersionsResponse?> _apiVersions = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _readLoop = Task.CompletedTask;
        private Dictionary<ApiKey, (short Min, short Max)>? _peerVersions;
        private string? _closeReason;
        private int _nextCorrelationId;
        private int _closing;

        public ClientConnection(TcpRaftTransport transport, Peer peer, Socket socket)
        {
            _transport = transport;
            _peer = peer;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        }

        public bool IsClosed => Volatile.Read(ref _closing) != 0;

        public void Start() => _readLoop = Task.Run(ReadLoopAsync);

        public async Task SendAsync(PendingRequest pending, RaftRequest request)
        {
            var correlationId = Interlocked.Increment(ref _nextCorrelationId);
            byte[] frame;
            KafkaRaftRequest kafka;
            try
            {
                kafka = KafkaRaftWire.ToKafka(request, _peer.Id);
                if (KafkaRaftWire.NegotiateVersion(request, kafka.ApiKey, PeerRange(kafka.ApiKey)) is not { } version)
                {
                    Unsupported(pending, request, kafka.ApiKey);
                    return;
                }
                kafka = kafka with { Version = version };
                var header = new RequestHeader { RequestApiKey = (short)kafka.ApiKey, RequestApiVersion = kafka.Version, CorrelationId = correlationId, ClientId = _transport.ClientId };
                var output = new ArrayBufferWriter<byte>();
                MessageCodec.WriteRequest(output, header, kafka.Body);
                frame = output.WrittenSpan.ToArray();
                if (frame.Length - 4 > MaxFrameBytes)
                    throw new ArgumentException($"{request.GetType().Name} of {frame.Length} bytes exceeds the {MaxFrameBytes}-byte limit");
            }
            catch (ArgumentException ex)
            {
                _transport.Log($"Raft transport: cannot encode {request.GetType().Name}: {ex.Message}");
                pending.Complete(null);
                return;
            }
            catch (KafkaProtocolException ex)
            {
                // A field the negotiated version lacks holds a value that cannot be dropped.
                _transport.Log($"Raft transport: cannot encode {request.GetType().Name} for node {_peer.Id}: {ex.Message}");
                Unsupported(pending, request, null);
                return;
            }
            pending.CorrelationId = correlationId;
            pending.Connection = this;
            _inFlight[correlationId] = new InFlight(pending, request, kafka.ApiKey, kafka.Version);

            // Whoever completed it meanwhile (timeout, or Close sweeping before the add) could not forget it yet.
            if (pending.IsCompleted || IsClosed)
            {
                _inFlight.TryRemove(correlationId, out _);
                pending.Complete(null);
                return;
            }
            using (var queued = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token))
            {
                queued.CancelAfter(pending.RemainingMs());
                try
                {
                    await _writeLock.WaitAsync(queued.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    pending.Complete(null);
                    return;
                }
            }
            try
            {
                // Timed out while queued for the lock: not worth sending any more.
                if (pending.IsCompleted)
                    return;

                // A write that makes no progress for a whole request timeout means the peer has stopped reading.
                using var stalled = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                stalled.CancelAfter(_transport._requestTimeoutMs);
                await _stream.WriteAsync(frame, stalled.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Part of a frame may be on the wire: the connection cannot be used any more.
                Close(IsClosed ? null : $"write failed: {(ex is OperationCanceledException ? "timed out" : ex.Message)}");
                pending.Complete(null);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        /// <summary>
        /// Asks the peer for its API versions (correlation id 0, before any request): null once they are known, else
        /// why not (an error, a malformed answer, none within the request timeout, the connection lost).
        /// </summary>
        public async Task<string?> NegotiateVersionsAsync()
        {
            var header = new RequestHeader { RequestApiKey = (short)ApiKey.ApiVersions, RequestApiVersion = ApiVersionsVersion, CorrelationId = 0, ClientId = _transport.ClientId };
            var output = new ArrayBufferWriter<byte>();
            MessageCodec.WriteRequest(output, header, new K.ApiVersionsRequest { ClientSoftwareName = "kafkaoperator-raft", ClientSoftwareVersion = "1" });
            K.ApiVersionsResponse? response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                timeout.CancelAfter(_transport._requestTimeoutMs);
                await _stream.WriteAsync(output.WrittenMemory, timeout.Token).ConfigureAwait(false);
                response = await _apiVersions.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return ex is OperationCanceledException ? "no ApiVersions answer in time" : $"ApiVersions failed: {ex.Message}";
            }
            if (response is null)
                return $"connection lost before ApiVersions was answered ({Volatile.Read(ref _closeReason) ?? "closed"})";
            if (response.ErrorCode != 0)
                return $"ApiVersions answered with error {response.ErrorCode}";
            var versions = new Dictionary<ApiKey, (short Min, short Max)>();
            foreach (var api in response.ApiKeys)
                versions[(ApiKey)api.ApiKey] = (api.MinVersion, api.MaxVersion);
            Volatile.Write(ref _peerVersions, versions);
            return null;
        }

        /// <summary>The peer's versions of <paramref name="apiKey"/>; (0, -1) when it lacks the API; null before ApiVersions.</summary>
        private (short Min, short Max)? PeerRange(ApiKey apiKey) =>
            Volatile.Read(ref _peerVersions) is not { } versions ? null : versions.TryGetValue(apiKey, out var range) ? range : ((short)0, (short)-1);

        /// <summary>No version both sides support: answered UNSUPPORTED_VERSION without a round trip.</summary>
        private void Unsupported(PendingRequest pending, RaftRequest request, ApiKey? apiKey)
        {
            if (apiKey is { } key && _peer.FirstUnsupported(key))
            {
                var range = PeerRange(key);
                _transport.Log($"Raft transport: node {_peer.Id} supports {key} versions {(range is (var min, var max) && max >= 0 ? $"{min}-{max}" : "none")}, and {request.GetType().Name} needs {KafkaRaftWire.MinSendVersion(request)}-{KafkaRaftWire.SentVersion(key)}; answered UNSUPPORTED_VERSION");
            }
            pending.Complete(RaftResponses.Error(request, RaftErrors.UnsupportedVersion, new LeaderAndEpoch(-1, -1)));
        }

        public void Forget(int correlationId, PendingRequest pending)
        {
            if (_inFlight.TryGetValue(correlationId, out var entry) && entry.Pending == pending)
                _inFlight.TryRemove(new KeyValuePair<int, InFlight>(correlationId, entry));
        }

        public async Task CloseAsync()
        {
            Close(null);
            await _readLoop.ConfigureAwait(false);
        }

        private void Close(string? reason)
        {
            if (Interlocked.Exchange(ref _closing, 1) != 0)
                return;
            _closeReason = reason;
            _peer.Closed(this, reason);
            _apiVersions.TrySetResult(null);
            _closed.Cancel();
            _input.CancelPendingRead();
            _stream.Dispose();
            foreach (var correlationId in _inFlight.Keys)
            {
                if (_inFlight.TryRemove(correlationId, out var entry))
                    entry.Pending.Complete(null);
            }
        }

        private async Task ReadLoopAsync()
        {
            string? reason = "closed by the peer";
            try
            {
                while (!IsClosed)
                {
                    var result = await _input.ReadAsync().ConfigureAwait(false);
                    var buffer = result.Buffer;
                    try
                    {
                        while (TryReadFrame(ref buffer, out var frame))
                        {
                            var correlationId = MessageCodec.PeekCorrelationId(frame.Span);
                            if (correlationId == 0)
                                _apiVersions.TrySetResult(DecodeApiVersions(frame));
                            else if (_inFlight.TryRemove(correlationId, out var entry))
                                entry.Pending.Complete(Decode(entry, frame));
                        }
                    }
                    finally
                    {
                        _input.AdvanceTo(buffer.Start, buffer.End);
                    }
                    if (result.IsCompleted || result.IsCanceled)
                        break;
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or KafkaProtocolException)
            {
                reason = $"malformed response: {ex.Message}";
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                reason = ex.Message;
            }
            catch (Exception ex)
            {
                reason = $"read loop failed: {ex}";
            }
            finally
            {
                Close(IsClosed ? null : reason);
                await _input.CompleteAsync().ConfigureAwait(false);
            }
        }

        /// <summary>One whole response frame (after its size prefix) off the front of the buffer; the size is checked first.</summary>
        private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlyMemory<byte> frame)
        {
            frame = default;
            if (buffer.Length < 4)
                return false;
            Span<byte> four = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(four);
            var size = BinaryPrimitives.ReadInt32BigEndian(four);
            if (size < 4 || size > MaxFrameBytes)
                throw new InvalidDataException($"response size {size} is outside 4..{MaxFrameBytes}");
            if (buffer.Length < 4L + size)
                return false;
            frame = buffer.Slice(4, size).ToArray();
            buffer = buffer.Slice(4L + size);
            return true;
        }

        private static K.ApiVersionsResponse DecodeApiVersions(ReadOnlyMemory<byte> frame)
        {
            var reader = new KafkaReader(frame);
            ResponseHeader.Read(ref reader, ApiRegistry.ResponseHeaderVersion(ApiKey.ApiVersions, ApiVersionsVersion));
            return MessageCodec.Read<K.ApiVersionsResponse>(ref reader, ApiVersionsVersion);
        }

        /// <summary>The quorum's response in a Kafka response frame; throws for one that does not parse or fit the request.</summary>
        private static RaftResponse Decode(InFlight entry, ReadOnlyMemory<byte> frame)
        {
            var reader = new KafkaReader(frame);
            ResponseHeader.Read(ref reader, ApiRegistry.ResponseHeaderVersion(entry.ApiKey, entry.Version));
            var api = ApiRegistry.Find(entry.ApiKey) ?? throw new InvalidDataException($"no description of {entry.ApiKey}");
            var body = MessageCodec.Read(api.ResponseType, ref reader, entry.Version);
            if (!reader.IsAtEnd)
                throw new InvalidDataException($"{reader.Remaining} bytes after the {entry.ApiKey} v{entry.Version} response");
            return KafkaRaftWire.FromKafka(entry.Request, body);
        }

        private sealed record InFlight(PendingRequest Pending, RaftRequest Request, ApiKey ApiKey, short Version);
    }
}
