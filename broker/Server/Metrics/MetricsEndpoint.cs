using System.Net;
using System.Net.Sockets;
using System.Text;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// The broker's /metrics port. A small HTTP/1.1 front for the exporter: it admits at most metrics.max.connections
/// connections at a time (more are closed at once), gives each 10 s for the whole exchange, answers 404 for any
/// other path and 405 for other methods, and passes GET /metrics with its Accept header to the exporter's loopback
/// listener (which answers OpenMetrics when asked, the text format otherwise); GET /topics/&lt;topic&gt;/skew answers
/// the topic's hot-key JSON (<see cref="HotKeys.TopicSkewReport"/>) itself. One request per connection. Work
/// moves to the thread pool before anything is parsed or collected: socket completions run on the broker's I/O
/// thread, which produce and fetch requests must have to themselves. Collection is the exporter's, cached briefly,
/// so a scrape flood costs at most a few concurrent copies of one answer.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    public const string PortKey = "metrics.port";
    public const string HostKey = "metrics.host";
    public const string MaxConnectionsKey = "metrics.max.connections";
    public const string Path = "/metrics";

    /// <summary>200 while the broker is registered, caught up and unfenced (RUNNING), else 503 naming its state: a readiness probe.</summary>
    public const string ReadyPath = "/ready";

    private const int MaxHeadBytes = 8192;
    private static readonly TimeSpan ExchangeTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly HttpClient _exporter;
    private readonly Task<int> _exporterPort;
    private readonly int _maxConnections;
    private readonly Func<string?> _notReady;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _active;
    private long _refused;

    private MetricsEndpoint(Socket listener, Task<int> exporterPort, int maxConnections, Func<string?> notReady)
    {
        _notReady = notReady;
        _listener = listener;
        _maxConnections = maxConnections;
        _exporterPort = exporterPort;
        _exporter = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = ExchangeTimeout };
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound port (the ephemeral one when metrics.port is 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The JSON of GET /topics/&lt;topic&gt;/skew (null: unknown topic, 404); unset, that path is 404.</summary>
    public Func<string, byte[]?>? TopicSkew { get; set; }

    /// <summary>Connections closed unanswered because the limit was reached.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Binds metrics.host:metrics.port; throws <see cref="ConfigException"/> when the port cannot be bound.</summary>
    public static MetricsEndpoint Start(BrokerConfig config, Task<int> exporterPort, Func<string?>? notReady = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var address = config.MetricsHost is { } host ? Resolve(host) : IPAddress.IPv6Any;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(new IPEndPoint(address, config.MetricsPort));
            socket.Listen(64);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ConfigException($"cannot listen for metrics on {config.MetricsHost ?? "*"}:{config.MetricsPort} ({PortKey}): {ex.Message}");
        }
        return new MetricsEndpoint(socket, exporterPort, config.GetInt(MaxConnectionsKey), notReady ?? (() => null));
    }

    private static IPAddress Resolve(string host) =>
        IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ConfigException($"{HostKey}: cannot resolve {host}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        _exporter.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection reset before it was accepted
            }
            if (Interlocked.Increment(ref _active) > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                Interlocked.Increment(ref _refused);
                client.LingerState = new LingerOption(true, 0); // reset: nothing is read or written for it
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ExchangeTimeout);
        try
        {
            var head = await ReadHeadAsync(client, timeout.Token).ConfigureAwait(false);
            await Task.Yield(); // off the socket's completion thread before parsing and collecting
            if (head is null)
            {
                await SendAsync(client, 400, "Bad Request", "text/plain; charset=utf-8", "bad request\n"u8.ToArray(), true, timeout.Token).ConfigureAwait(false);
                return;
            }
            var (method, target, accept) = head.Value;
            var path = target.Split('?', 2)[0];
            if (path == ReadyPath && method is ("GET" or "HEAD"))
            {
                var reason = _notReady();
                var answer = Encoding.UTF8.GetBytes((reason ?? "ready") + "\n");
                await SendAsync(client, reason is null ? 200 : 503, reason is null ? "OK" : "Service Unavailable", "text/plain; charset=utf-8", answer, method == "GET", timeout.Token).ConfigureAwait(false);
                return;
            }
            if (HotKeys.TopicSkewReport.TopicOf(path) is { } topic && TopicSkew is { } skew)
            {
                if (method is not ("GET" or "HEAD"))
                {
                    await SendAsync(client, 405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), true, timeout.Token, "Allow: GET, HEAD\r\n").ConfigureAwait(false);
                    return;
                }
                var json = skew(topic);
                if (json is null)
                    await SendAsync(client, 404, "Not Found", "application/json", Encoding.UTF8.GetBytes($"{{\"error\":\"unknown topic {System.Text.Json.JsonEncodedText.Encode(topic)}\"}}\n"), method == "GET", timeout.Token).ConfigureAwait(false);
                else
                    await SendAsync(client, 200, "OK", "application/json", json, method == "GET", timeout.Token).ConfigureAwait(false);
                return;
            }
            if (path != Path)
            {
                await SendAsync(client, 404, "Not Found", "text/plain; charset=utf-8", "not found: metrics are at /metrics\n"u8.ToArray(), method != "HEAD", timeout.Token).ConfigureAwait(false);
                return;
            }
            if (method is not ("GET" or "HEAD"))
            {
                await SendAsync(client, 405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), true, timeout.Token, "Allow: GET, HEAD\r\n").ConfigureAwait(false);
                return;
            }
            var exporterPort = await _exporterPort.WaitAsync(timeout.Token).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{exporterPort}{Path}"));
            if (accept is not null)
                request.Headers.TryAddWithoutValidation("Accept", accept);
            using var response = await _exporter.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            await Task.Yield();
            var contentType = response.Content.Headers.ContentType?.ToString() ?? "text/plain; version=0.0.4; charset=utf-8";
            await SendAsync(client, (int)response.StatusCode, response.ReasonPhrase ?? "OK", contentType, body, method == "GET", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // a client that was too slow or went away, a stopping broker: nothing to answer
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Reads up to the blank line after the headers; null when it is malformed or larger than 8 KiB.</summary>
    private static async Task<(string Method, string Target, string? Accept)?> ReadHeadAsync(Socket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        while (true)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return null;
            filled += n;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return Parse(Encoding.ASCII.GetString(buffer, 0, end));
            if (filled == buffer.Length)
                return null;
        }
    }

    private static (string Method, string Target, string? Accept)? Parse(string head)
    {
        var lines = head.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !requestLine[1].StartsWith('/'))
            return null;
        string? accept = null;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("Accept", StringComparison.OrdinalIgnoreCase))
                accept = accept is null ? line[(colon + 1)..].Trim() : accept + ", " + line[(colon + 1)..].Trim();
        }
        return (requestLine[0], requestLine[1], accept);
    }

    private static async Task SendAsync(Socket client, int status, string reason, string contentType, byte[] body, bool withBody, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
        await client.SendAsync(head, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (withBody && body.Length > 0)
        {
            var sent = 0;
            while (sent < body.Length)
                sent += await client.SendAsync(body.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        client.Shutdown(SocketShutdown.Send);
    }
}
