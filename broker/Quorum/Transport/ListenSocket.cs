using System.Net;
using System.Net.Sockets;

namespace KafkaOperator.Quorum.Transport;

// Exception policy: Open throws IOException; a port taken by another socket says "Address already in use: <port>".

/// <summary>
/// A listening TCP socket for the broker's listeners, the clients' and the quorum's. .NET's ReuseAddress option
/// sets SO_REUSEPORT as well on Linux, which lets a second broker bind a port the first is listening on and take
/// half its connections; only SO_REUSEADDR is set here, so that a restart can rebind while its previous
/// connections sit in TIME_WAIT, and a port in use fails as it does for Kafka.
/// </summary>
public static class ListenSocket
{
    private const int SolSocketLinux = 1;
    private const int SoReuseAddrLinux = 2;

    public static Socket Open(IPEndPoint endpoint, int backlog)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            // Elsewhere a plain bind is enough: BSDs refuse a listening port without SO_REUSEPORT, and on Windows
            // the option would let another process steal the port.
            if (OperatingSystem.IsLinux())
                socket.SetRawSocketOption(SolSocketLinux, SoReuseAddrLinux, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? new IOException($"Address already in use: {endpoint.Port}", ex)
                : new IOException(ex.Message, ex);
        }
    }
}
