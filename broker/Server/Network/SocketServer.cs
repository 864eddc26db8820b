using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Handlers;

namespace KafkaOperator.Server.Network;

/// <summary>
/// Accepts connections on every configured listener and runs each on its own <see cref="Connection"/>. Port 0
/// binds an ephemeral port; <see cref="BoundListeners"/> reports what was actually bound.
/// </summary>
public sealed class SocketServer : IAsyncDisposable
{
    private readonly IReadOnlyList<Listener> _listeners;
    private readonly int _maxRequestBytes;
    private readonly RequestDispatcher _dispatcher;
    private readonly List<Socket> _listenSockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<Connection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Listener> _bound = [];

    /// <param name="config">The client listeners to bind (the controller listener is the quorum's) and the request size limit.</param>
    /// <param name="dispatcher">Handles requests on every client listener.</param>
    public SocketServer(BrokerConfig config, RequestDispatcher dispatcher)
        : this((config ?? throw new ArgumentNullException(nameof(config))).ClientListeners, config.SocketRequestMaxBytes, dispatcher)
    {
    }

    /// <summary>A server for <paramref name="listeners"/> only: the CONTROLLER listener, whose dispatcher is the quorum's.</summary>
    public SocketServer(IReadOnlyList<Listener> listeners, int maxRequestBytes, RequestDispatcher dispatcher)
    {
        _listeners = listeners;
        _maxRequestBytes = maxRequestBytes;
        _dispatcher = dispatcher;
    }

    public IReadOnlyList<Listener> BoundListeners => _bound;

    public int ConnectionCount => _connections.Count;

    /// <summary>Requests read but not yet answered.</summary>
    public RequestCounter InFlight { get; } = new();

    /// <summary>Cancelled when the server begins shutting down; handed to every request.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public void Start()
    {
        foreach (var listener in _listeners)
        {
            Socket socket;
            try
            {
                socket = ListenSocket.Open(new IPEndPoint(ResolveBindAddress(listener.Host), listener.Port), 512);
            }
            catch (IOException ex)
            {
                throw new IOException($"cannot bind listener {listener}: {ex.Message}", ex);
            }
            _listenSockets.Add(socket);
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            _bound.Add(listener with { Port = port });
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(socket)));
        }
    }

    /// <summary>Stops accepting, stops reading new requests, waits for in-flight responses to be written.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_stopping.IsCancellationRequested)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var s in _listenSockets)
            s.Dispose();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        foreach (var c in _connections.Keys)
            c.StopReading();
        var all = Task.WhenAll(_connections.Values);
        await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    internal static IPAddress ResolveBindAddress(string host)
    {
        if (string.IsNullOrEmpty(host) || host == "0.0.0.0")
            return IPAddress.Any;
        if (host == "::")
            return IPAddress.IPv6Any;
        if (IPAddress.TryParse(host, out var ip))
            return ip;
        var addresses = Dns.GetHostAddresses(host);
        foreach (var a in addresses)
        {
            if (a.AddressFamily == AddressFamily.InterNetwork)
                return a;
        }
        return addresses.Length > 0 ? addresses[0] : throw new IOException($"cannot resolve listener host {host}");
    }

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                    return;
                Log.Warn($"accept failed: {ex.Message}");
                continue;
            }
            socket.NoDelay = true;
            var connection = new Connection(socket, _dispatcher, _maxRequestBytes, InFlight, _stopping.Token);
            var run = RunConnectionAsync(connection);
            _connections[connection] = run;
            _ = run.ContinueWith(_ => _connections.TryRemove(connection, out Task? _), TaskScheduler.Default);
        }
    }

    private static async Task RunConnectionAsync(Connection connection)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.Error($"connection {connection.Remote} failed", ex);
        }
    }
}
