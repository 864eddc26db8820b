using System.Net.Sockets;

namespace KafkaOperator.Server.Network;

/// <summary>Awaitable Socket.SendPacketsAsync (which sends file elements with sendfile on Linux), one per connection.</summary>
internal sealed class PacketSender : SocketAsyncEventArgs
{
    private TaskCompletionSource<SocketError>? _completion;

    /// <summary>Sends every element in order; true when all <paramref name="total"/> bytes went out.</summary>
    public async Task<bool> SendAsync(Socket socket, SendPacketsElement[] elements, long total)
    {
        SendPacketsElements = elements;
        var completion = _completion = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!socket.SendPacketsAsync(this))
        {
            completion.TrySetResult(SocketError);
        }

        var error = await completion.Task.ConfigureAwait(false);
        SendPacketsElements = null;
        return error == SocketError.Success && BytesTransferred == total;
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _completion?.TrySetResult(e.SocketError);
}
