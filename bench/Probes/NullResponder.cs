using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// The latency floor of this machine: a responder that answers each Produce at once with a fixed success response,
/// on a blocking socket in its own process, doing no work. The latency probe against it measures loopback TCP
/// plus two thread wake-ups, what any broker on this box pays before doing anything.
/// </summary>
public static class NullResponder
{
    /// <summary>Serves one connection on a free loopback port; returns "127.0.0.1:port".</summary>
    public static string Start(string topic)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var thread = new Thread(() => Serve(listener, topic)) { IsBackground = true, Name = "null-responder" };
        thread.Start();
        return $"127.0.0.1:{port}";
    }

    private static void Serve(TcpListener listener, string topic)
    {
        using var client = listener.AcceptTcpClient();
        listener.Stop();
        client.NoDelay = true;
        using var stream = client.GetStream();
        var name = Encoding.UTF8.GetBytes(topic);

        // Produce v7 response: correlation id, topics[1] { name, partitions[1] { index, error 0, base offset,
        // log append time, log start offset } }, throttle time.
        var body = 4 + 4 + 2 + name.Length + 4 + 4 + 2 + 8 + 8 + 8 + 4;
        var response = new byte[4 + body];
        BinaryPrimitives.WriteInt32BigEndian(response, body);
        BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(8), 1);
        BinaryPrimitives.WriteInt16BigEndian(response.AsSpan(12), (short)name.Length);
        name.CopyTo(response.AsSpan(14));
        BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(14 + name.Length), 1);
        var request = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.ReadExactly(request.AsSpan(0, 4));
                var size = BinaryPrimitives.ReadInt32BigEndian(request);
                stream.ReadExactly(request.AsSpan(0, size));
                request.AsSpan(4, 4).CopyTo(response.AsSpan(4));
                stream.Write(response);
            }
        }
        catch (EndOfStreamException)
        {
            // The probe is done.
        }
        catch (IOException)
        {
            // The probe is done.
        }
    }
}
