using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// InitProducerId 0–5 for idempotent (non-transactional) producers: a fresh id from a durably reserved block, or,
/// when the client passes its current id and epoch (v3+), the same id with the epoch bumped (a new id once the
/// epoch would overflow). Transactional ids need a transaction coordinator this broker does not have.
/// </summary>
public sealed class InitProducerIdHandler(BrokerServices services) : ApiHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    public override ApiKey ApiKey => ApiKey.InitProducerId;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request)
    {
        if (!string.IsNullOrEmpty(request.TransactionalId))
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable };
        if (request.ProducerId >= 0 && request.ProducerEpoch >= 0)
        {
            if (request.ProducerEpoch < short.MaxValue - 1)
                return new InitProducerIdResponse { ProducerId = request.ProducerId, ProducerEpoch = (short)(request.ProducerEpoch + 1) };
        }
        else if (request.ProducerId >= 0 || request.ProducerEpoch >= 0)
        {
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.InvalidRequest };
        }
        long id;
        try
        {
            id = await services.ProducerIds.NextAsync(context.Stopping).ConfigureAwait(false);
        }
        catch (Quorum.QuorumException)
        {
            // A new id block needs the metadata quorum; without a controller, answer as Kafka's producer id manager
            // does while it waits for a block, with an error clients retry.
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress };
        }
        return new InitProducerIdResponse { ProducerId = id, ProducerEpoch = 0 };
    }
}
