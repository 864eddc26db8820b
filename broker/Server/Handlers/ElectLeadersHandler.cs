using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// ElectLeaders 0–2, the active controller's side: PREFERRED (v0 always) or UNCLEAN elections, decided by
/// <see cref="LeaderElection"/> on the controller's image and committed as one batch of PartitionChangeRecords. A
/// batch refused because a partition changed meanwhile (INVALID_UPDATE_VERSION) is decided again on the newer image.
/// As AlterPartition, only the active controller answers; the others say NOT_CONTROLLER (top level from v1, per
/// partition in v0), and clients find the controller in Metadata and retry there, unless the active controller is
/// a controller-only node: then every broker stands in for it (<see cref="BrokerServices.StandsInForController"/>). Null topic partitions mean every
/// partition, and then partitions that need no election are left out of the answer, as in KRaft. A single node
/// decides from its own image and has nothing to change (its one replica leads everything).
/// </summary>
public sealed class ElectLeadersHandler(BrokerServices services) : ApiHandler<ElectLeadersRequest, ElectLeadersResponse>
{
    private const int MaxAttempts = 5;

    public override ApiKey ApiKey => ApiKey.ElectLeaders;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<ElectLeadersResponse?> HandleAsync(RequestContext context, ElectLeadersRequest request)
    {
        var type = context.Version == 0 ? ElectionType.Preferred : (ElectionType)request.ElectionType;
        if (type is not (ElectionType.Preferred or ElectionType.Unclean))
            return Refuse(request, context.Version, ErrorCode.InvalidRequest, $"Unknown election type {request.ElectionType}");
        var quorum = services.Quorum;
        if (quorum is not null && !services.ActsAsController())
            return Refuse(request, context.Version, ErrorCode.NotController, $"Broker {services.Config.NodeId} is not the active controller");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, request.TimeoutMs)));
        List<Election> plan;
        for (var attempt = 1; ; attempt++)
        {
            var image = quorum?.Store.Image ?? services.Metadata.Image;
            plan = Plan(image, request, type);
            var changes = plan.Where(e => e.Decision.Change is not null).Select(e => e.Decision.Change!).ToList();
            if (changes.Count == 0)
                break;
            if (quorum is null)
            {
                Settle(plan, type == ElectionType.Preferred ? ErrorCode.PreferredLeaderNotAvailable : ErrorCode.EligibleLeadersNotAvailable);
                break;
            }
            var error = await CommitAsync(quorum.Store, changes, timeout.Token, context.Stopping).ConfigureAwait(false);
            if (error == ErrorCode.InvalidUpdateVersion && attempt < MaxAttempts)
                continue;
            if (error == ErrorCode.None)
                LogElections(plan);
            Settle(plan, error);
            break;
        }
        return Answer(plan);
    }

    /// <summary>One requested (or, for a null list, existing) partition and what was decided for it.</summary>
    private sealed record Election(string Topic, int Partition, ElectionDecision Decision);

    private static List<Election> Plan(MetadataImage image, ElectLeadersRequest request, ElectionType type)
    {
        var plan = new List<Election>();
        if (request.TopicPartitions is null)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                for (var i = 0; i < topic.Partitions.Length; i++)
                {
                    var decision = LeaderElection.Decide(image, topic, i, type);
                    if (decision.Error != ErrorCode.ElectionNotNeeded)
                        plan.Add(new Election(topic.Name, i, decision));
                }
            }
            return plan;
        }
        foreach (var requested in request.TopicPartitions)
        {
            var topic = image.Topic(requested.Topic);
            foreach (var partition in requested.PartitionId)
            {
                plan.Add(new Election(requested.Topic, partition, topic is null
                    ? ElectionDecision.Fail(ErrorCode.UnknownTopicOrPartition, $"No such topic as {requested.Topic}")
                    : LeaderElection.Decide(image, topic, partition, type)));
            }
        }
        return plan;
    }

    /// <summary>The batch's outcome: NONE, the apply error, NOT_CONTROLLER when the quorum could not commit it, REQUEST_TIMED_OUT.</summary>
    private static async Task<ErrorCode> CommitAsync(QuorumMetadataStore store, List<PartitionChangeRecord> changes, CancellationToken timeout, CancellationToken stopping)
    {
        try
        {
            var result = await store.ProposeAsync(new BatchRecord([.. changes]), timeout).ConfigureAwait(false);
            if (result.Error != ErrorCode.None)
                Log.Info($"ElectLeaders: {changes.Count} election(s) did not apply ({result.Error}: {result.Message})");
            return result.Error;
        }
        catch (QuorumException ex)
        {
            Log.Info($"ElectLeaders: {changes.Count} election(s) were not committed: {ex.Message}");
            return ErrorCode.NotController;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return ErrorCode.RequestTimedOut;
        }
    }

    /// <summary>Gives every partition that needed a change the commit's outcome.</summary>
    private static void Settle(List<Election> plan, ErrorCode error)
    {
        if (error == ErrorCode.None)
            return;
        for (var i = 0; i < plan.Count; i++)
        {
            if (plan[i].Decision.Change is not null)
                plan[i] = plan[i] with { Decision = ElectionDecision.Fail(error, $"The election for {plan[i].Topic}-{plan[i].Partition} was not committed ({error})") };
        }
    }

    private static void LogElections(List<Election> plan)
    {
        foreach (var e in plan)
        {
            if (e.Decision.Change is { } c)
            {
                if (c.Unclean)
                    Log.Warn($"controller: UNCLEAN leader election for {e.Topic}-{e.Partition} (ElectLeaders): broker {c.Leader} was not in sync; records acknowledged by the lost in-sync replicas may be gone");
                else
                    Log.Info($"controller: ElectLeaders made broker {c.Leader} leader of {e.Topic}-{e.Partition}");
            }
        }
    }

    private static ElectLeadersResponse Answer(List<Election> plan)
    {
        var response = new ElectLeadersResponse();
        foreach (var byTopic in plan.GroupBy(e => e.Topic, StringComparer.Ordinal))
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = byTopic.Key,
                PartitionResult = [.. byTopic.Select(e => new ElectLeadersResponse.PartitionResultData
                {
                    PartitionId = e.Partition,
                    ErrorCode = (short)e.Decision.Error,
                    ErrorMessage = e.Decision.Error == ErrorCode.None ? null : e.Decision.Message,
                })],
            });
        }
        return response;
    }

    /// <summary>The whole request refused: the error at the top level (v1+) and for every partition it names.</summary>
    private static ElectLeadersResponse Refuse(ElectLeadersRequest request, short version, ErrorCode error, string message)
    {
        var response = new ElectLeadersResponse { ErrorCode = version >= 1 ? (short)error : (short)0 };
        foreach (var topic in request.TopicPartitions ?? [])
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = topic.Topic,
                PartitionResult = [.. topic.PartitionId.Select(p => new ElectLeadersResponse.PartitionResultData
                {
                    PartitionId = p,
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                })],
            });
        }
        return response;
    }
}
