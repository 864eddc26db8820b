using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Network;

/// <summary>
/// One connection to one broker. Many requests may be in flight at once (pipelining): Kafka answers requests on a
/// connection in the order it received them, so responses are matched to a FIFO of pending requests and the
/// correlation id is only checked. A request that times out or is cancelled stays in the FIFO (its response is
/// discarded when it arrives) so the order stays aligned. When the connection fails or closes, every pending request
/// fails with <see cref="KafkaConnectionException"/> and later sends fail immediately.
/// </summary>
public sealed partial class KafkaConnection : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IAsyncDisposable? _transport;
    private readonly KafkaConnectionOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _pendingLock = new();
    private readonly Queue<PendingRequest> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _readLoop = Task.CompletedTask;
    private int _nextCorrelationId;
    private Exception? _closedReason;

    private KafkaConnection(IDuplexPipe transport, IAsyncDisposable? owner, string endpoint, KafkaConnectionOptions options)
    {
        _input = transport.Input;
        _output = transport.Output;
        _transport = owner;
        _options = options;
        Endpoint = endpoint;
    }

    /// <summary>host:port, or a description of the in-memory transport.</summary>
    public string Endpoint { get; }

    /// <summary>Broker id when known (set by <see cref="KafkaCluster"/> from metadata); -1 for a bootstrap connection.</summary>
    public int BrokerId { get; internal set; } = -1;

    public bool IsConnected => Volatile.Read(ref _closedReason) is null;

    /// <summary>Completes when the connection has closed, for whatever reason.</summary>
    public Task Completion => _readLoop;

    /// <summary>Requests written whose responses have not arrived yet (including abandoned ones).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_pendingLock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Connects over TCP and, unless disabled, negotiates API versions.</summary>
    public static async Task<KafkaConnection> ConnectAsync(string host, int port, KafkaConnectionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new KafkaConnectionOptions();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KafkaConnectionException($"Connecting to {host}:{port} timed out after {options.ConnectTimeout}.");
            }
            catch (SocketException ex)
            {
                throw new KafkaConnectionException($"Cannot connect to {host}:{port}: {ex.Message}", ex);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        var pipe = new StreamDuplexPipe(stream);
        return await StartAsync(pipe, pipe, $"{host}:{port}", options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the protocol over an existing duplex pipe (an in-memory pipe in tests, a custom transport).</summary>
    public static Task<KafkaConnection> ConnectAsync(IDuplexPipe transport, KafkaConnectionOptions? options = null,
        string endpoint = "pipe", CancellationToken cancellationToken = default)
        => StartAsync(transport, null, endpoint, options ?? new KafkaConnectionOptions(), cancellationToken);

    private static async Task<KafkaConnection> StartAsync(IDuplexPipe transport, IAsyncDisposable? owner, string endpoint,
        KafkaConnectionOptions options, CancellationToken cancellationToken)
    {
        var connection = new KafkaConnection(transport, owner, endpoint, options);
        connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        try
        {
            if (options.NegotiateApiVersions)
            {
                await connection.NegotiateApiVersionsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>
    /// Sends a request whose body is already encoded and returns the response body (after the response header).
    /// With <paramref name="expectResponse"/> false (Produce with acks=0) it completes once the bytes are flushed
    /// and returns an empty body.
    /// </summary>
    public Task<ReadOnlyMemory<byte>> SendRawAsync(ApiKey apiKey, short apiVersion, ReadOnlyMemory<byte> body,
        short requestHeaderVersion, short responseHeaderVersion, bool expectResponse = true,
        CancellationToken cancellationToken = default)
        => SendCoreAsync(apiKey, apiVersion, requestHeaderVersion, responseHeaderVersion, body.Length, body,
            static (output, b) => output.Write(b.Span), expectResponse, cancellationToken);

    internal async Task<ReadOnlyMemory<byte>> SendCoreAsync<TState>(ApiKey apiKey, short apiVersion,
        short requestHeaderVersion, short responseHeaderVersion, int bodySize, TState state,
        Action<IBufferWriter<byte>, TState> writeBody, bool expectResponse, CancellationToken cancellationToken,
        bool pooledFrame = false)
    {
        PendingRequest? pending = null;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var correlationId = _nextCorrelationId++;
            lock (_pendingLock)
            {
                ThrowIfClosed();
                if (expectResponse)
                {
                    pending = new PendingRequest(correlationId, apiKey, apiVersion, responseHeaderVersion, _options.CompleteOnReadLoop, pooledFrame);
                    _pending.Enqueue(pending);
                }
            }

            try
            {
                FrameHeaders.WriteFramePrefix(_output, apiKey, apiVersion, correlationId, requestHeaderVersion,
                    _options.ClientId, bodySize);
                writeBody(_output, state);
                // Not cancellable: a half-flushed frame would desynchronise the stream for every other request.
                var flush = await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    throw new KafkaConnectionException($"Connection to {Endpoint} was closed by the peer.");
                }
            }
            catch (Exception ex)
            {
                var failure = ex as KafkaConnectionException
                    ?? new KafkaConnectionException($"Writing to {Endpoint} failed: {ex.Message}", ex);
                Fail(failure);
                throw failure;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        if (pending is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pending.Abandon();
            throw new TimeoutException(
                $"{apiKey} v{apiVersion} request (correlation id {pending.CorrelationId}) to {Endpoint} timed out after {_options.RequestTimeout}.");
        }
        catch (OperationCanceledException)
        {
            pending.Abandon();
            throw;
        }
    }

    private void ThrowIfClosed()
    {
        var reason = _closedReason;
        if (reason is not null)
        {
            throw new KafkaConnectionException($"Connection to {Endpoint} is closed: {reason.Message}", reason);
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception reason;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out var frame, out var size))
                {
                    Dispatch(frame, size);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    reason = buffer.IsEmpty
                        ? new KafkaConnectionException($"Connection to {Endpoint} was closed by the broker.")
                        : new KafkaConnectionException($"Connection to {Endpoint} closed in the middle of a response.");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            reason = new KafkaConnectionException($"Connection to {Endpoint} was closed by the client.");
        }
        catch (Exception ex)
        {
            reason = ex as KafkaConnectionException
                ?? new KafkaConnectionException($"Reading from {Endpoint} failed: {ex.Message}", ex);
        }

        Fail(reason);
        await _input.CompleteAsync().ConfigureAwait(false);
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out byte[] frame, out int size)
    {
        frame = [];
        size = 0;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> sizeBytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(sizeBytes);
        size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        if (size < 4 || size > _options.MaxResponseSize)
        {
            throw new KafkaConnectionException($"Invalid response size {size} from {Endpoint}.");
        }

        if (buffer.Length < 4L + size)
        {
            return false;
        }

        // Responses are in request order, so this frame answers the oldest pending request. One array per response
        // unless that caller returns it (SendLeasedAsync): decoded messages keep slices of it. A new megabyte array
        // per replica fetch cost more in page faults on fresh memory than the copy into it (perf: clear_page
        // about a quarter of a follower's samples), so the replica fetchers lease theirs from the shared pool.
        bool pooled;
        lock (_pendingLock)
        {
            pooled = _pending.TryPeek(out var head) && head.PooledFrame;
        }

        // Every byte is copied in below: no need to zero megabytes first.
        frame = pooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        buffer.Slice(4, size).CopyTo(frame);
        buffer = buffer.Slice(4L + size);
        return true;
    }

    private void Dispatch(byte[] frame, int size)
    {
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame);
        PendingRequest? pending;
        lock (_pendingLock)
        {
            _pending.TryDequeue(out pending);
        }

        if (pending is null)
        {
            throw new KafkaConnectionException($"Unexpected response (correlation id {correlationId}) from {Endpoint}: no request in flight.");
        }

        if (pending.CorrelationId != correlationId)
        {
            var mismatch = new KafkaConnectionException(
                $"Correlation id mismatch from {Endpoint}: expected {pending.CorrelationId} for {pending.ApiKey}, got {correlationId}.");
            pending.Completion.TrySetException(mismatch);
            ReturnFrame(pending, frame);
            throw mismatch;
        }

        if (pending.IsAbandoned)
        {
            ReturnFrame(pending, frame);
            return;
        }

        try
        {
            var offset = FrameHeaders.ResponseBodyOffset(frame.AsSpan(0, size), pending.ResponseHeaderVersion);
            pending.Completion.TrySetResult(frame.AsMemory(offset, size - offset));
        }
        catch (KafkaConnectionException ex)
        {
            pending.Completion.TrySetException(ex);
            ReturnFrame(pending, frame);
            throw;
        }
    }

    private static void ReturnFrame(PendingRequest pending, byte[] frame)
    {
        if (pending.PooledFrame)
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private void Fail(Exception reason)
    {
        PendingRequest[] failed;
        lock (_pendingLock)
        {
            if (_closedReason is not null)
            {
                return;
            }

            _closedReason = reason;
            failed = [.. _pending];
            _pending.Clear();
        }

        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(new KafkaConnectionException(
                $"{pending.ApiKey} request (correlation id {pending.CorrelationId}) failed: {reason.Message}", reason));
        }

        _closing.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new KafkaConnectionException($"Connection to {Endpoint} was closed by the client."));
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The read loop reports failures through Fail; nothing is left to observe here.
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _closing.Dispose();
    }

    private sealed class PendingRequest(int correlationId, ApiKey apiKey, short apiVersion, short responseHeaderVersion, bool inline,
        bool pooledFrame)
    {
        private volatile bool _abandoned;

        public int CorrelationId { get; } = correlationId;
        public ApiKey ApiKey { get; } = apiKey;
        public short ApiVersion { get; } = apiVersion;
        public short ResponseHeaderVersion { get; } = responseHeaderVersion;

        /// <summary>The response frame comes from the shared array pool and the caller returns it.</summary>
        public bool PooledFrame { get; } = pooledFrame;
        public TaskCompletionSource<ReadOnlyMemory<byte>> Completion { get; } =
            new(inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        public bool IsAbandoned => _abandoned;

        public void Abandon() => _abandoned = true;
    }

    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe, IAsyncDisposable
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 16384));
        public PipeWriter Output { get; } = PipeWriter.Create(stream);

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
