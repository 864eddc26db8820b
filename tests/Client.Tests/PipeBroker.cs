using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Tests;

/// <summary>A request as the in-memory broker saw it: header fields and the body bytes after the header.</summary>
public sealed record ReceivedRequest(ApiKey ApiKey, short ApiVersion, int CorrelationId, string? ClientId, byte[] Body);

/// <summary>
/// The broker end of an in-memory duplex pipe. It parses request frames (header v1 or v2, chosen by
/// <see cref="IsFlexibleHeader"/>), asks <see cref="Handler"/> for a response body and writes it back with the
/// correlation id, in request order, exactly as a broker does on one connection.
/// </summary>
public sealed class PipeBroker : IAsyncDisposable
{
    private readonly Pipe _toBroker = new();
    private readonly Pipe _toClient = new();
    private readonly Task _loop;
    private readonly Task _responder;
    private readonly System.Threading.Channels.Channel<ReceivedRequest> _requests =
        System.Threading.Channels.Channel.CreateUnbounded<ReceivedRequest>();
    private int _received;

    public PipeBroker(Func<ReceivedRequest, Task<byte[]?>> handler)
    {
        Handler = handler;
        ClientSide = new DuplexPipe(_toClient.Reader, _toBroker.Writer);
        _loop = Task.Run(LoopAsync);
        _responder = Task.Run(RespondAsync);
    }

    public Func<ReceivedRequest, Task<byte[]?>> Handler { get; }

    /// <summary>Decides whether a request uses header v2 (flexible) and whether the response header has tagged fields.</summary>
    public Func<ApiKey, short, bool> IsFlexibleHeader { get; set; } = (_, _) => false;

    public IDuplexPipe ClientSide { get; }

    public int Received => Volatile.Read(ref _received);

    /// <summary>Simulates the broker dropping the connection.</summary>
    public async Task DisconnectAsync()
    {
        await _toClient.Writer.CompleteAsync();
        await _toBroker.Reader.CompleteAsync();
    }

    /// <summary>Writes raw bytes to the client, bypassing request matching (for corrupt-stream tests).</summary>
    public async Task WriteRawAsync(byte[] bytes)
    {
        await _toClient.Writer.WriteAsync(bytes);
    }

    private async Task LoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _toBroker.Reader.ReadAsync();
                var buffer = result.Buffer;
                var requests = new List<ReceivedRequest>();
                while (TryParse(ref buffer, out var request))
                {
                    requests.Add(request);
                    Interlocked.Increment(ref _received);
                }

                _toBroker.Reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var request in requests)
                {
                    _requests.Writer.TryWrite(request);
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The pipe was completed by DisconnectAsync while reading.
        }
        finally
        {
            _requests.Writer.TryComplete();
        }
    }

    /// <summary>Answers in request order on its own task, so a held response does not stop requests being read.</summary>
    private async Task RespondAsync()
    {
        try
        {
            await foreach (var request in _requests.Reader.ReadAllAsync())
            {
                var body = await Handler(request);
                if (body is null)
                {
                    continue;
                }

                var flexible = IsFlexibleHeader(request.ApiKey, request.ApiVersion) && request.ApiKey != ApiKey.ApiVersions;
                var frame = new byte[4 + 4 + (flexible ? 1 : 0) + body.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), request.CorrelationId);
                body.CopyTo(frame, flexible ? 9 : 8);
                await _toClient.Writer.WriteAsync(frame);
            }
        }
        catch (InvalidOperationException)
        {
            // The client side was completed (disconnect) while answering.
        }
    }

    private bool TryParse(ref ReadOnlySequence<byte> buffer, out ReceivedRequest request)
    {
        request = null!;
        if (buffer.Length < 4)
        {
            return false;
        }

        var sizeBytes = new byte[4];
        buffer.Slice(0, 4).CopyTo(sizeBytes);
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        if (buffer.Length < 4 + size)
        {
            return false;
        }

        var frame = buffer.Slice(4, size).ToArray();
        buffer = buffer.Slice(4 + size);
        var apiKey = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        var clientIdLength = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(8));
        var pos = 10;
        string? clientId = null;
        if (clientIdLength >= 0)
        {
            clientId = Encoding.UTF8.GetString(frame, pos, clientIdLength);
            pos += clientIdLength;
        }

        if (IsFlexibleHeader(apiKey, version))
        {
            Assert.Equal(0, frame[pos]); // no tagged fields in the header
            pos++;
        }

        request = new ReceivedRequest(apiKey, version, correlationId, clientId, frame[pos..]);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _toClient.Writer.CompleteAsync();
        await _toBroker.Writer.CompleteAsync();
        await _loop;
        _requests.Writer.TryComplete();
        await Task.WhenAny(_responder, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
