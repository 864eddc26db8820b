using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// Accepts the quorum transport's connections and answers their requests with an <see cref="IRaftRequestHandler"/>.
/// Each request is handled on its own (a slow one does not hold up those behind it on the connection) and its
/// response is written, under the connection's write lock, as soon as it is ready. A malformed frame closes that
/// connection only; the server keeps accepting. A handler that throws is logged and its request left unanswered,
/// so the sender sees a timeout.
/// </summary>
public sealed class RaftTcpServer : IAsyncDisposable
{
    /// <summary>Requests one connection may have in the handler at once; reading pauses beyond it.</summary>
    public const int MaxInFlightPerConnection = 1024;

    private readonly IPEndPoint _endpoint;
    private readonly IRaftRequestHandler _handler;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ServerConnection, byte> _connections = new();
    private readonly object _lock = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private bool _disposed;

    public RaftTcpServer(IPEndPoint endpoint, IRaftRequestHandler handler, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        _endpoint = endpoint;
        _handler = handler;
        _log = log;
    }

    /// <summary>The bound endpoint (with the real port when bound to port 0); null until started.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The bound port; throws until started.</summary>
    public int Port => LocalEndPoint?.Port ?? throw new InvalidOperationException("the Raft server is not started");

    /// <summary>Binds and listens (synchronously, so the port is known on return) and starts accepting.</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_listener is not null)
                throw new InvalidOperationException("the Raft server is already started");
            // Rebinds a port in TIME_WAIT after a restart, never one another process listens on.
            var listener = ListenSocket.Open(_endpoint, 128);
            _listener = listener;
            LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listener));
        }
        Log($"Raft server listening on {LocalEndPoint}");
    }

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Closes the listener and every connection; requests still in a handler are cancelled and unanswered.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? acceptLoop;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            acceptLoop = _acceptLoop;
            _listener?.Dispose();
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (acceptLoop is not null)
            await acceptLoop.ConfigureAwait(false);
        var closing = new List<Task>();
        foreach (var connection in _connections.Keys)
            closing.Add(connection.CloseAsync());
        await Task.WhenAll(closing).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (_stopping.IsCancellationRequested || ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection that failed between SYN and accept; the listener itself is fine.
                Log($"Raft server accept failed: {ex.Message}");
                continue;
            }
            socket.NoDelay = true;
            var connection = new ServerConnection(this, socket);
            _connections.TryAdd(connection, 0);
            if (_stopping.IsCancellationRequested)
            {
                await connection.CloseAsync().ConfigureAwait(false);
                return;
            }
            connection.Start();
        }
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

    private sealed class ServerConnection
    {
        private readonly RaftTcpServer _server;
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly PipeReader _input;
        private readonly EndPoint? _remote;
        private readonly CancellationTokenSource _closed = new();
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly SemaphoreSlim _inFlight = new(MaxInFlightPerConnection, MaxInFlightPerConnection);
        private Task _readLoop = Task.CompletedTask;
        private int _closing;

        public ServerConnection(RaftTcpServer server, Socket socket)
        {
            _server = server;
            _socket = socket;
            _remote = socket.RemoteEndPoint;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        }

        public void Start() => _readLoop = Task.Run(ReadLoopAsync);

        public async Task CloseAsync()
        {
            Shutdown();
            await _readLoop.ConfigureAwait(false);
        }

        private void Shutdown()
        {
            if (Interlocked.Exchange(ref _closing, 1) != 0)
                return;
            _server._connections.TryRemove(this, out _);
            _closed.Cancel();
            _input.CancelPendingRead();
            _stream.Dispose();
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (!_closed.IsCancellationRequested)
                {
                    var result = await _input.ReadAsync(_closed.Token).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    try
                    {
                        while (RaftFrame.TryRead(ref buffer, out var correlationId, out var message))
                        {
                            var request = RaftCodec.DecodeRequest(message);
                            await _inFlight.WaitAsync(_closed.Token).ConfigureAwait(false);
                            _ = Task.Run(() => HandleAsync(correlationId, request));
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
            catch (InvalidDataException ex)
            {
                _server.Log($"Raft server closing connection {_remote}: malformed frame: {ex.Message}");
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_closed.IsCancellationRequested)
                    _server.Log($"Raft server connection {_remote} lost: {ex.Message}");
            }
            catch (Exception ex)
            {
                _server.Log($"Raft server closing connection {_remote}: read loop failed: {ex}");
            }
            finally
            {
                Shutdown();
                await _input.CompleteAsync().ConfigureAwait(false);
            }
        }

        private async Task HandleAsync(int correlationId, RaftRequest request)
        {
            try
            {
                RaftResponse response;
                try
                {
                    response = await _server._handler.HandleAsync(request, _closed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_closed.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    _server.Log($"Raft server: handler failed for {request.GetType().Name} from {_remote}, left unanswered: {ex}");
                    return;
                }
                byte[] frame;
                try
                {
                    frame = RaftFrame.Encode(correlationId, response);
                }
                catch (Exception ex)
                {
                    _server.Log($"Raft server: cannot encode {response?.GetType().Name ?? "null response"} for {_remote}: {ex.Message}");
                    return;
                }
                await WriteAsync(frame).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.Release();
            }
        }

        private async Task WriteAsync(byte[] frame)
        {
            try
            {
                await _writeLock.WaitAsync(_closed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await _stream.WriteAsync(frame, _closed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_closed.IsCancellationRequested)
                    _server.Log($"Raft server connection {_remote}: write failed: {ex.Message}");
                Shutdown();
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }
}
