using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>CreatePartitions 0–3: grow only (INVALID_PARTITIONS for a count at or below the current one).</summary>
public sealed class CreatePartitionsHandler(BrokerServices services) : ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    public override ApiKey ApiKey => ApiKey.CreatePartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request)
    {
        var response = new CreatePartitionsResponse();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in request.Topics)
            counts[t.Name] = counts.GetValueOrDefault(t.Name) + 1;
        foreach (var t in request.Topics)
        {
            var result = new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = t.Name };
            response.Results.Add(result);
            if (counts[t.Name] > 1)
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequest;
                result.ErrorMessage = "Duplicate topic in request.";
                continue;
            }
            List<int[]>? assignments = null;
            if (t.Assignments is { Count: > 0 })
            {
                assignments = [];
                foreach (var a in t.Assignments)
                    assignments.Add([.. a.BrokerIds]);
            }
            var outcome = await services.Topics.AddPartitionsAsync(t.Name, t.Count, assignments, request.ValidateOnly, context.Stopping).ConfigureAwait(false);
            result.ErrorCode = (short)outcome.Error;
            result.ErrorMessage = outcome.Message;
        }
        return response;
    }
}
