using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Server.Handlers;

namespace KafkaOperator.Server.Network;

/// <summary>
/// One client connection. The read loop frames requests (size prefix checked before anything is buffered for the
/// body), copies each frame into a pooled array, and starts its handler in arrival order. The write loop answers
/// strictly in request order from a bounded queue of pending responses, so a fast request behind a long-poll Fetch
/// waits its turn; completed responses are written back to back and flushed together. Requests that describe where
/// to send things (Metadata, FindCoordinator, DescribeCluster) are handled only once every earlier request of the
/// connection is answered, as Kafka handles one request per connection at a time: handled on arrival, a Metadata
/// held behind an acks=all Produce would name the leaders from before a failover although it is sent after it, and
/// such a stale answer arriving after a fresh one from another broker strands librdkafka's partitions on the dead
/// leader (confluentinc/librdkafka#4976: its "not migrating away from preferred replica" check then keeps them
/// there until message.timeout.ms).
/// Exception policy: anything wrong with one connection closes that connection only, with one log line. A client
/// that goes away while a response is being sent is normal (a consumer closed, a pod killed): one INFO line when
/// the connection ends, naming both ends and the socket's reason, never a stack trace.
/// </summary>
internal sealed class Connection
{
    /// <summary>Fetch records go out with sendfile; KAFKAOPERATOR_SENDFILE=0 copies them instead (for comparison).</summary>
    private static readonly bool UseSendfile = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("KAFKAOPERATOR_SENDFILE") != "0";

    private const int MaxInFlight = 256;
    private const int MinHeaderBytes = 8;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly RequestDispatcher _dispatcher;
    private readonly int _maxRequestBytes;
    private readonly CancellationToken _stopping;
    private readonly EndPoint? _remote;
    private readonly EndPoint? _local;
    private readonly Channel<Pending> _pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxInFlight)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,

        // The write loop resumes on the read loop's thread when a request is queued: a response that is ready at
        // once (most are) goes out without waking another thread, which is most of a small request's latency.
        AllowSynchronousContinuations = true,
    });

    private volatile bool _closing;
    private volatile bool _writeFailed;
    private string? _clientGone; // the first socket failure's reason
    private SpliceWriter? _splice;
    private PacketSender? _sender;

    private readonly RequestCounter _inFlight;
    private int _unanswered; // queued for the write loop and not yet written; read loop increments, write loop decrements

    public Connection(Socket socket, RequestDispatcher dispatcher, int maxRequestBytes, RequestCounter inFlight, CancellationToken stopping)
    {
        _inFlight = inFlight;
        _socket = socket;
        _remote = socket.RemoteEndPoint;
        _local = socket.LocalEndPoint;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        _dispatcher = dispatcher;
        _maxRequestBytes = maxRequestBytes;
        _stopping = stopping;
    }

    public EndPoint? Remote => _remote;

    /// <summary>Stops reading new requests; pending ones are still answered.</summary>
    public void StopReading()
    {
        _closing = true;
        _input.CancelPendingRead();
    }

    public async Task RunAsync()
    {
        var writer = Task.Run(WriteLoopAsync);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            ClientGone(Reason(ex), writing: false);
        }
        catch (Exception ex)
        {
            Log.Error($"connection {_remote}: read loop failed", ex);
        }
        finally
        {
            _pending.Writer.TryComplete();
        }
        await writer.ConfigureAwait(false);
        _sender?.Dispose();
        _splice?.Dispose();
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            // Completing flushes what is still buffered, which fails again when the client is gone.
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            ClientGone(Reason(ex), writing: true);
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer may already be gone; closing is all that is left to do.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_writeFailed)
            Log.Info($"connection {_remote} -> {_local} closed by the client while a response was being sent ({_clientGone})");
        else if (_clientGone is not null)
            Log.Debug($"connection {_remote} -> {_local}: {_clientGone}");
    }

    private static bool IsSocketFailure(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>The socket's own words ("Broken pipe", "Connection reset by peer") rather than the stream's wrapper.</summary>
    private static string Reason(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
                return socket.Message;
        }
        return ex.Message;
    }

    private void ClientGone(string reason, bool writing)
    {
        Interlocked.CompareExchange(ref _clientGone, reason, null);
        if (writing)
            _writeFailed = true;
    }

    private async Task ReadLoopAsync()
    {
        while (!_closing)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var keepReading = true;
            while (!_closing)
            {
                if (buffer.Length < 4)
                    break;
                var size = ReadSize(buffer);
                if (size < 0 || size > _maxRequestBytes)
                {
                    Log.Warn($"closing connection {_remote}: request size {size} is outside 0..socket.request.max.bytes ({_maxRequestBytes})");
                    keepReading = false;
                    break;
                }
                if (size < MinHeaderBytes)
                {
                    Log.Warn($"closing connection {_remote}: request of {size} bytes is too short for a request header");
                    keepReading = false;
                    break;
                }
                if (buffer.Length < 4L + size)
                    break;
                var frame = ArrayPool<byte>.Shared.Rent(size);
                buffer.Slice(4, size).CopyTo(frame);
                buffer = buffer.Slice(4L + size);
                consumed = buffer.Start;
                if (IoThreads.MustLeave(frame))
                    await Task.Yield(); // no synchronization context here: continues on a thread-pool worker
                if (!await StartRequestAsync(frame, size).ConfigureAwait(false))
                {
                    keepReading = false;
                    break;
                }
            }
            if (!keepReading)
                return;
            _input.AdvanceTo(consumed, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                return;
        }
    }

    private static int ReadSize(ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= 4)
            return BinaryPrimitives.ReadInt32BigEndian(first);
        Span<byte> four = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(four);
        return BinaryPrimitives.ReadInt32BigEndian(four);
    }

    /// <summary>Parses the header and starts the handler; false when the connection must close.</summary>
    private ValueTask<bool> StartRequestAsync(byte[] frame, int size)
    {
        var started = Stopwatch.GetTimestamp();
        RequestHeader header;
        ValueTask<Response?> work;
        var deferred = false;
        try
        {
            var reader = new KafkaReader(new ReadOnlyMemory<byte>(frame, 0, size));
            header = MessageCodec.ReadRequestHeader(ref reader);
            deferred = AnswersFromCurrentState(header.ApiKey) && Volatile.Read(ref _unanswered) > 0;
            work = deferred ? default : _dispatcher.Dispatch(new RequestContext(header, _remote, _stopping), ref reader);
            if (!deferred && !work.IsCompleted && _dispatcher.DoneWithRequestAfterStart(header.RequestApiKey))
            {
                ArrayPool<byte>.Shared.Return(frame);
                frame = [];
            }
        }
        catch (Exception ex) when (ex is KafkaProtocolException or InvalidRequestException)
        {
            Log.Warn($"closing connection {_remote}: {ex.Message}");
            ArrayPool<byte>.Shared.Return(frame);
            return new ValueTask<bool>(false);
        }
        catch (Exception ex)
        {
            Log.Error($"closing connection {_remote}: request handler failed", ex);
            ArrayPool<byte>.Shared.Return(frame);
            return new ValueTask<bool>(false);
        }
        var pending = new Pending(header, work, frame, size, started, deferred);
        _inFlight.Increment();
        Interlocked.Increment(ref _unanswered);
        if (_pending.Writer.TryWrite(pending))
            return new ValueTask<bool>(true);
        return EnqueueSlowAsync(pending);
    }

    private async ValueTask<bool> EnqueueSlowAsync(Pending pending)
    {
        try
        {
            await _pending.Writer.WriteAsync(pending).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            _inFlight.Decrement();
            Interlocked.Decrement(ref _unanswered);
            ReturnFrame(pending.Frame);
            return false;
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _pending.Reader;
        var failed = false;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                Response? response = null;
                var writing = false; // a socket failure from here on is the client's, not the handler's
                try
                {
                    if (!failed)
                    {
                        response = await (item.Deferred ? DispatchDeferredAsync(item) : item.Work).ConfigureAwait(false);
                        if (response is not null)
                        {
                            writing = true;
                            if (UseSendfile && item.Header.ApiKey == ApiKey.Fetch)
                                failed = !await WriteSplicedAsync(response, item.Header).ConfigureAwait(false);
                            else
                                response.WriteTo(_output, item.Header);
                        }
                    }
                    else if (!item.Work.IsCompleted)
                    {
                        // Drain so the frame is no longer referenced before it goes back to the pool.
                        response = await item.Work.ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (writing && IsSocketFailure(ex))
                {
                    ClientGone(Reason(ex), writing: true);
                    failed = true;
                    StopReading();
                }
                catch (Exception ex) when (!writing && ex is KafkaProtocolException or InvalidRequestException)
                {
                    Log.Warn($"closing connection {_remote}: {ex.Message}");
                    failed = true;
                    StopReading();
                }
                catch (Exception ex)
                {
                    if (!failed)
                        Log.Error($"closing connection {_remote}: {item.Header.ApiKey} v{item.Header.RequestApiVersion} (correlation id {item.Header.CorrelationId}) failed", ex);
                    failed = true;
                    StopReading();
                }
                finally
                {
                    response?.Release();
                    _dispatcher.Stats.Record(item.Header.ApiKey, item.Header.RequestApiVersion, Stopwatch.GetTimestamp() - item.Started);
                    ReturnFrame(item.Frame);
                    _inFlight.Decrement();
                    Interlocked.Decrement(ref _unanswered);
                }
                // A deferred request has not started: what is written so far goes out before it runs.
                if (!failed && (!reader.TryPeek(out var next) || next.Deferred || !next.Work.IsCompleted))
                    failed = !await FlushAsync().ConfigureAwait(false);
            }
        }
        if (!failed)
            await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Empty when the handler was done with it at once (see ApiHandler.DoneWithRequestAfterStart).</summary>
    private static void ReturnFrame(byte[] frame)
    {
        if (frame.Length > 0)
            ArrayPool<byte>.Shared.Return(frame);
    }

    /// <summary>Requests whose answer must not be older than the answers before it on the connection.</summary>
    private static bool AnswersFromCurrentState(ApiKey key) =>
        key is ApiKey.Metadata or ApiKey.FindCoordinator or ApiKey.DescribeCluster;

    /// <summary>Handles a request held until every earlier one was answered, from the state of this moment.</summary>
    private async ValueTask<Response?> DispatchDeferredAsync(Pending item)
    {
        // The write loop may be on the thread that completed the previous request (a socket or replication thread).
        if (!Thread.CurrentThread.IsThreadPoolThread)
            await Task.Yield();
        return await Dispatch(item).ConfigureAwait(false);

        ValueTask<Response?> Dispatch(Pending held)
        {
            var reader = new KafkaReader(new ReadOnlyMemory<byte>(held.Frame, 0, held.Size));
            var header = MessageCodec.ReadRequestHeader(ref reader);
            return _dispatcher.Dispatch(new RequestContext(header, _remote, _stopping), ref reader);
        }
    }

    /// <summary>
    /// Writes a response whose records may be file ranges: the bytes pending in the pipe go first, then the response
    /// as one packet list, the ranges with sendfile. False when the connection failed.
    /// </summary>
    private async ValueTask<bool> WriteSplicedAsync(Response response, RequestHeader header)
    {
        var splice = _splice ??= new SpliceWriter();
        try
        {
            response.WriteTo(splice, header);
            if (!splice.HasFileRegions)
            {
                _output.Write(splice.WrittenSpan);
                return true;
            }
            if (!await FlushAsync().ConfigureAwait(false))
                return false;
            _sender ??= new PacketSender();
            var elements = splice.ToElements();
            if (await _sender.SendAsync(_socket, elements, splice.TotalLength).ConfigureAwait(false))
                return true;
            ClientGone(_sender.SocketError == SocketError.Success
                ? $"sent {_sender.BytesTransferred} of {splice.TotalLength} bytes"
                : new SocketException((int)_sender.SocketError).Message, writing: true);
            StopReading();
            return false;
        }
        finally
        {
            splice.Reset();
        }
    }

    private async ValueTask<bool> FlushAsync()
    {
        try
        {
            var flush = await _output.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                ClientGone("the connection was closed", writing: true);
                StopReading();
                return false;
            }
            return true;
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            ClientGone(Reason(ex), writing: true);
            StopReading();
            return false;
        }
    }

    /// <summary>A request in arrival order; Deferred ones have no Work yet: the write loop starts them in turn.</summary>
    private readonly record struct Pending(RequestHeader Header, ValueTask<Response?> Work, byte[] Frame, int Size, long Started, bool Deferred);
}

/// <summary>Requests read but not yet answered, across connections (a metric, and a test hook).</summary>
public sealed class RequestCounter
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);
}
