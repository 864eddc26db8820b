using System.Net;
using System.Net.Sockets;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Free loopback ports for brokers started by tests. All of a cluster's ports come from one call: the listeners are
/// held open until every port is taken, so one call never hands the same port out twice (two calls could).
/// Linked into the Admin and Operator test projects as well.
/// </summary>
public static class LoopbackPorts
{
    public static int[] Free(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners)
                l.Stop();
        }
    }
}
