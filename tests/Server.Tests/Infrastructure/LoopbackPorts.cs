using System.Net;
using System.Net.Sockets;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Free loopback ports for brokers started by tests. Ports come from below the kernel's ephemeral range: a port the
/// kernel hands out for port 0 is also what it gives the next outgoing connection as its local port, so between the
/// test choosing one and the broker binding it, a client of another test running at the same time could take it
/// ("Address already in use"). Each port is checked by binding it, and none is handed out twice in one test process
/// (a restarted broker gets its own ports back from its cluster, not from here). Linked into the Admin and Operator
/// test projects as well.
/// </summary>
public static class LoopbackPorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    private static readonly (int Low, int High) Range = ChooseRange();

    public static int[] Free(int count)
    {
        lock (Gate)
        {
            var result = new List<int>(count);
            var listeners = new List<TcpListener>();
            try
            {
                for (var attempts = 0; result.Count < count; attempts++)
                {
                    if (attempts > 100_000)
                        throw new InvalidOperationException($"no free loopback port in {Range.Low}..{Range.High}");
                    if (Given.Count > (Range.High - Range.Low) / 2)
                        Given.Clear();
                    var port = Random.Shared.Next(Range.Low, Range.High);
                    if (!Given.Add(port))
                        continue;
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    try
                    {
                        listener.Start();
                    }
                    catch (SocketException)
                    {
                        continue;
                    }
                    listeners.Add(listener);
                    result.Add(port);
                }
                return [.. result];
            }
            finally
            {
                foreach (var l in listeners)
                    l.Stop();
            }
        }
    }

    /// <summary>Up to 12,000 ports just below the ephemeral range (Linux's default starts at 32768).</summary>
    private static (int Low, int High) ChooseRange()
    {
        var ephemeralLow = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (text.Length >= 1 && int.TryParse(text[0], out var low) && low > 2048)
                ephemeralLow = low;
        }
        catch (IOException)
        {
            // Not Linux or not readable: keep Linux's default.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
        return (Math.Max(1024, ephemeralLow - 12_000), ephemeralLow);
    }
}
