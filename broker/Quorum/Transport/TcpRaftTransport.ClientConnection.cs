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

// The connection half of the transport: one socket to a peer and its requests in flight.
public sealed partial class TcpRaftTransport
{
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
