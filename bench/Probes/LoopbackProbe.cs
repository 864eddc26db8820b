using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KafkaOperator.Bench.Probes;

/// <summary>One TCP connection over loopback, one thread sending 256 KiB writes, one receiving: the most a
/// single-connection consumer could get out of a broker on this machine.</summary>
public static class LoopbackProbe
{
    public static string Run(int seconds)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sender.Connect(listener.LocalEndPoint!);
        using var receiver = listener.Accept();

        var duration = TimeSpan.FromSeconds(seconds);
        var sendThread = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < duration)
            {
                sender.Send(buffer);
            }

            sender.Shutdown(SocketShutdown.Send);
        });
        var receiveBuffer = new byte[256 * 1024];
        long received = 0;
        var clock = Stopwatch.StartNew();
        sendThread.Start();
        int n;
        while ((n = receiver.Receive(receiveBuffer)) > 0)
        {
            received += n;
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        sendThread.Join();
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"loopback\",\"bytes\":{received},\"seconds\":{elapsed:0.000},\"mb_per_s\":{received / elapsed / 1e6:0.0}}}");
    }
}
