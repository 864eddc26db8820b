using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>A plain socket speaking the Kafka framing through the codec, for tests that need full control.</summary>
internal sealed class RawConnection : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private int _correlationId;

    private RawConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static RawConnection Open(int port)
    {
        var client = new TcpClient { NoDelay = true };
        client.Connect("127.0.0.1", port);
        return new RawConnection(client);
    }

    public int NextCorrelationId() => Interlocked.Increment(ref _correlationId);

    public static byte[] EncodeRequest<T>(ApiKey key, short version, int correlationId, T body, string? clientId = "test")
        where T : class
    {
        var buffer = new ArrayBufferWriter<byte>();
        MessageCodec.WriteRequest(buffer, new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = version, CorrelationId = correlationId, ClientId = clientId }, body);
        return buffer.WrittenSpan.ToArray();
    }

    public async Task<int> SendAsync<T>(ApiKey key, short version, T body)
        where T : class
    {
        var id = NextCorrelationId();
        await SendRawAsync(EncodeRequest(key, version, id, body));
        return id;
    }

    public async Task<TResponse> RequestAsync<TRequest, TResponse>(ApiKey key, short version, TRequest body)
        where TRequest : class
        where TResponse : class
    {
        var id = await SendAsync(key, version, body);
        return await ReceiveAsync<TResponse>(key, version, id);
    }

    public async Task<TResponse> ReceiveAsync<TResponse>(ApiKey key, short version, int expectedCorrelationId)
        where TResponse : class
    {
        var frame = await ReadFrameAsync() ?? throw new IOException("connection closed by broker");
        var response = MessageCodec.ReadResponse<TResponse>(frame, key, version, out var correlationId);
        Assert.Equal(expectedCorrelationId, correlationId);
        return response;
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>One response frame without its size prefix; null when the broker closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var sizeBytes = new byte[4];
        if (!await ReadExactlyAsync(sizeBytes, cts.Token))
            return null;
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        var frame = new byte[size];
        if (!await ReadExactlyAsync(frame, cts.Token))
            return null;
        return frame;
    }

    /// <summary>True when the broker closes the connection (EOF or reset) within the timeout.</summary>
    public async Task<bool> IsClosedByBrokerAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                    return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken token)
    {
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(read), token);
                if (n == 0)
                    return false;
                read += n;
            }
        }
        catch (IOException)
        {
            return false;
        }
        return true;
    }
}
