using System.Buffers;

namespace KafkaOperator.Client.Network;

/// <summary>
/// A decoded response whose frame is on loan from the shared array pool (see
/// <see cref="KafkaConnection.SendLeasedAsync{TRequest, TResponse}"/>): byte fields such as fetched records are
/// slices of that frame, so nothing may read them after <see cref="Dispose"/> returns it. A lease that is never
/// disposed only costs the pool that array.
/// </summary>
public sealed class LeasedResponse<TResponse> : IDisposable
    where TResponse : class
{
    private byte[]? _frame;

    internal LeasedResponse(TResponse response, byte[]? frame)
    {
        Response = response;
        _frame = frame;
    }

    public TResponse Response { get; }

    public void Dispose()
    {
        // Once only: an array returned twice would be handed to two renters.
        if (Interlocked.Exchange(ref _frame, null) is { } frame)
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }
}
