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
public sealed partial class TcpRaftTransport : IRaftTransport, IAsyncDisposable
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
}
