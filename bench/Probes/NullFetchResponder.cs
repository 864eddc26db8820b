using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// The consumer's ceiling on this machine: a responder that serves one topic's Fetch responses from memory, doing
/// no work beyond framing (ApiVersions, Metadata and Fetch, enough for rdkafka_performance -C). Every partition
/// holds an endless run of identical uncompressed record batches (512 records of 1 KiB by default, about the size
/// of the batches rdkafka_performance's producer leaves in the broker's log at linger.ms=5); a fetch at offset X gets
/// whole batches from X up to the partition's and the request's byte limits, so the consumer decodes what a broker's
/// log would give it.
/// What rdkafka_performance consumes from it is what the client can take here, the figure a broker's consume rate is
/// judged against.
/// </summary>
public static class NullFetchResponder
{
    /// <summary>Serves until the process ends; returns "127.0.0.1:port".</summary>
    public static string Start(string topic, int partitions, int valueSize, int batchRecords)
    {
        var batch = BuildBatch(valueSize, batchRecords);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var thread = new Thread(() =>
        {
            while (true)
            {
                var client = listener.AcceptTcpClient();
                new Thread(() => Serve(client, topic, partitions, port, batch, batchRecords)) { IsBackground = true, Name = "null-fetch" }.Start();
            }
        })
        { IsBackground = true, Name = "null-fetch-accept" };
        thread.Start();
        return $"127.0.0.1:{port}";
    }

    private static byte[] BuildBatch(int valueSize, int records)
    {
        using var builder = new RecordBatchBuilder();
        var value = new byte[valueSize];
        new Random(1).NextBytes(value);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < records; i++)
            builder.Add(now, null, value);
        var output = new ArrayBufferWriter<byte>();
        builder.WriteTo(output);
        return output.WrittenSpan.ToArray();
    }

    private static void Serve(TcpClient client, string topic, int partitions, int port, byte[] batch, int batchRecords)
    {
        using var _ = client;
        client.NoDelay = true;
        var socket = client.Client;
        using var stream = client.GetStream();
        var frame = new byte[1 << 16];
        var output = new ArrayBufferWriter<byte>(1 << 12);
        var fetch = new FetchWriter(topic, partitions, batch, batchRecords);
        try
        {
            while (true)
            {
                stream.ReadExactly(frame.AsSpan(0, 4));
                var size = BinaryPrimitives.ReadInt32BigEndian(frame);
                if (size > frame.Length)
                    frame = new byte[size];
                stream.ReadExactly(frame.AsSpan(0, size));
                var (header, body) = MessageCodec.ReadRequest(frame.AsMemory(0, size));
                output.ResetWrittenCount();
                switch (body)
                {
                    case ApiVersionsRequest:
                        // Produce is advertised (never sent here) because librdkafka derives its record-format
                        // features from Produce and Fetch together, and fetches nothing without them.
                        MessageCodec.WriteResponse(output, header, new ApiVersionsResponse
                        {
                            ApiKeys =
                            [
                                new() { ApiKey = (short)ApiKey.Produce, MinVersion = 3, MaxVersion = 8 },
                                new() { ApiKey = (short)ApiKey.Fetch, MinVersion = FetchWriter.MinVersion, MaxVersion = FetchWriter.MaxVersion },
                                new() { ApiKey = (short)ApiKey.Metadata, MinVersion = 1, MaxVersion = 8 },
                                new() { ApiKey = (short)ApiKey.ApiVersions, MinVersion = 0, MaxVersion = 3 },
                            ],
                        }, Math.Min(header.RequestApiVersion, (short)3));
                        break;
                    case MetadataRequest:
                        MessageCodec.WriteResponse(output, header, Metadata(topic, partitions, port));
                        break;
                    case FetchRequest request:
                        socket.Send(fetch.Answer(header.CorrelationId, header.RequestApiVersion, request));
                        continue;
                    default:
                        throw new InvalidDataException($"the null fetch responder does not serve {header.ApiKey}");
                }
                stream.Write(output.WrittenSpan);
            }
        }
        catch (EndOfStreamException)
        {
            // The consumer is done.
        }
        catch (IOException)
        {
            // The consumer is done.
        }
        catch (SocketException)
        {
            // The consumer is done.
        }
    }

    private static MetadataResponse Metadata(string topic, int partitions, int port) => new()
    {
        Brokers = [new() { NodeId = 0, Host = "127.0.0.1", Port = port }],
        ClusterId = "null-fetch",
        ControllerId = 0,
        Topics =
        [
            new()
            {
                Name = topic,
                Partitions = [.. Enumerable.Range(0, partitions).Select(p => new MetadataResponse.MetadataResponsePartition { PartitionIndex = p, LeaderId = 0, ReplicaNodes = [0], IsrNodes = [0] })],
            },
        ],
    };
}
