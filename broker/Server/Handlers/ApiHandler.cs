using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Server.Network;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// One API key's handler. <see cref="Start"/> runs on the connection's read loop: it decodes the body
/// synchronously (so the request buffer slices stay valid and requests take effect in arrival order) and returns the
/// possibly still running work. A null response means "send nothing" (Produce with acks=0).
/// </summary>
public abstract class ApiHandler
{
    public abstract ApiKey ApiKey { get; }

    public abstract short MinVersion { get; }

    public abstract short MaxVersion { get; }

    /// <summary>
    /// The minimum ApiVersions lists. Normally <see cref="MinVersion"/>; lower only where clients need to see a
    /// version that requests still may not use (Produce, see <see cref="ProduceHandler"/>).
    /// </summary>
    public virtual short AdvertisedMinVersion => MinVersion;

    /// <summary>
    /// True when nothing reads the request's bytes once <see cref="Start"/> has returned, so that the connection
    /// may reuse its frame while the answer is still pending (an acks=all Produce waiting for the followers).
    /// </summary>
    public virtual bool DoneWithRequestAfterStart => false;

    public abstract ValueTask<Response?> Start(RequestContext context, ref KafkaReader body);
}

/// <summary>Typed handler: decodes <typeparamref name="TRequest"/> with the codec and answers a <typeparamref name="TResponse"/>.</summary>
public abstract class ApiHandler<TRequest, TResponse> : ApiHandler
    where TRequest : class
    where TResponse : class
{
    public sealed override ValueTask<Response?> Start(RequestContext context, ref KafkaReader body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = MessageCodec.Read<TRequest>(ref body, context.Version);
        var work = HandleAsync(context, request);
        if (work.IsCompletedSuccessfully)
        {
            var result = work.Result;
            return new ValueTask<Response?>(result is null ? null : new Response<TResponse>(result));
        }
        return Wrap(work);
    }

    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request);

    private static async ValueTask<Response?> Wrap(ValueTask<TResponse?> work)
    {
        var result = await work.ConfigureAwait(false);
        return result is null ? null : new Response<TResponse>(result);
    }
}
