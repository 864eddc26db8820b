using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// A client that goes away while its response is being sent is an everyday event (a consumer closed, a pod
/// killed): the broker logs it once, in one INFO line naming the connection, and carries on.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class ClientDisconnectTests(ITestOutputHelper output)
{
    private const string Topic = "big";
    private const int BatchCount = 24;
    private const int RecordsPerBatch = 900;
    private const int ValueBytes = 1000;
    private const int Clients = 4;

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task A_client_closing_mid_response_is_one_info_line_per_connection(string sendfile)
    {
        await using var broker = await BrokerProcess.StartAsync(output, environment: new Dictionary<string, string> { ["KAFKAOPERATOR_SENDFILE"] = sendfile });
        using (var setup = RawConnection.Open(broker.Port))
        {
            await Batches.CreateTopicAsync(setup, Topic);
            for (var i = 0; i < BatchCount; i++)
            {
                var produced = await setup.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9,
                    Batches.Produce(Topic, 0, BigBatch(), acks: 1));
                Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
            }
        }

        var fetch = Batches.Fetch(Topic, 0, 0);
        fetch.MaxBytes = 64 * 1024 * 1024;
        fetch.Topics[0].Partitions[0].PartitionMaxBytes = 64 * 1024 * 1024;
        var request = RawConnection.EncodeRequest(ApiKey.Fetch, 12, 1, fetch);
        var ports = new List<int>();
        for (var i = 0; i < Clients; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
            await client.ConnectAsync(IPAddress.Loopback, broker.Port);
            ports.Add(((IPEndPoint)client.LocalEndPoint!).Port);
            await client.SendAsync(request);
            // The response (about 21 MB) has started: read a little of it, then reset the connection under it.
            var first = new byte[1024];
            Assert.True(await client.ReceiveAsync(first) > 0);
            client.LingerState = new LingerOption(true, 0);
            client.Close();
        }

        // Each connection's one line, with a deadline rather than a sleep.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !ports.All(p => LinesAbout(broker.Log, p).Count > 0))
            await Task.Delay(100);
        var log = broker.Log;
        foreach (var port in ports)
        {
            var line = Assert.Single(LinesAbout(log, port));
            Assert.Matches(@"\] INFO connection 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ closed by the client while a response was being sent \(", line);
        }
        Assert.DoesNotContain(" ERROR ", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);

        // The broker carries on.
        using var again = RawConnection.Open(broker.Port);
        var small = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch(Topic, 0, 0));
        Assert.Equal(0, small.Responses[0].Partitions[0].ErrorCode);
    }

    private static List<string> LinesAbout(string log, int port) =>
        [.. log.Split('\n').Where(l => Regex.IsMatch(l, $@"127\.0\.0\.1:{port}\b"))];

    private static byte[] BigBatch()
    {
        using var builder = new RecordBatchBuilder();
        var value = new byte[ValueBytes];
        Random.Shared.NextBytes(value);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < RecordsPerBatch; i++)
            builder.Add(ts, null, value);
        return builder.ToArray();
    }
}
