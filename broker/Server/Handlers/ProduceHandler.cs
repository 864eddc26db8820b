using System.Runtime.InteropServices;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// Produce 3–11 (advertised 0–11, see <see cref="AdvertisedMinVersion"/>). Appends synchronously on the connection's
/// read loop, so requests on one connection take effect in order and the records (a slice of the pooled request
/// frame) are rewritten in place and written once. acks=1 completes when the leader's append returns, acks=all when
/// the in-sync replicas have the records too (at once on a single replica); acks=0 sends no response. Unknown topics are UNKNOWN_TOPIC_OR_PARTITION per partition, never
/// auto-created: as in Kafka, only Metadata creates topics, so a typo in a producer's topic cannot silently make a
/// new topic.
/// </summary>
public sealed class ProduceHandler(BrokerServices services) : ApiHandler<ProduceRequest, ProduceResponse>
{
    public override ApiKey ApiKey => ApiKey.Produce;

    public override short MinVersion => 3;

    /// <summary>
    /// As Kafka 4.0 (KAFKA-18659): librdkafka before 2.10 compresses with gzip, snappy or lz4 only when the broker
    /// lists Produce v0, and otherwise sends those batches uncompressed. So ApiVersions lists Produce from v0, while
    /// a v0–v2 request is still refused like any unsupported version (the connection is closed, as Kafka does).
    /// </summary>
    public override short AdvertisedMinVersion => 0;

    public override short MaxVersion => 11;

    /// <summary>
    /// Every append happens before <see cref="ApiHandler.Start"/> returns, and the response holds no slice of the
    /// request: an acks=all produce waiting for the followers need not keep its megabyte frame. Held, the 50-170
    /// produces a producer keeps in flight outgrew the shared pool, so most frames were fresh memory.
    /// </summary>
    public override bool DoneWithRequestAfterStart => true;

    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request)
    {
        var acks = request.Acks;
        var validAcks = acks is -1 or 0 or 1;
        var response = new ProduceResponse { Responses = new List<ProduceResponse.TopicProduceResponse>(request.TopicData.Count) };
        List<Waiting>? waiting = null;
        foreach (var topic in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse
            {
                Name = topic.Name,
                PartitionResponses = new List<ProduceResponse.PartitionProduceResponse>(topic.PartitionData.Count),
            };
            response.Responses.Add(topicResponse);
            AppendTopic(topic, topicResponse, acks, validAcks, ref waiting);
        }
        if (waiting is null)
            return new(Finish(response, acks));
        return AwaitReplicationAsync(response, waiting, request.TimeoutMs, context.Stopping);
    }

    /// <summary>
    /// acks=all, as Kafka's delayed produce: the appends are done; the answer waits, without holding the connection's
    /// reader or a thread, until the ISR has every batch (HW past it), the leadership moves, or the timeout passes.
    /// </summary>
    private static async ValueTask<ProduceResponse?> AwaitReplicationAsync(ProduceResponse response, List<Waiting> waiting, int timeoutMs, CancellationToken stopping)
    {
        var tasks = new Task<ErrorCode>[waiting.Count];
        for (var i = 0; i < waiting.Count; i++)
            tasks[i] = waiting[i].Partition.WaitForHighWatermarkAsync(waiting[i].EndOffset, timeoutMs, stopping);
        await Task.WhenAll(tasks).ConfigureAwait(false);
        for (var i = 0; i < waiting.Count; i++)
        {
            var error = tasks[i].Result;
            if (error == ErrorCode.None)
                continue;
            var result = waiting[i].Result;
            result.ErrorCode = (short)error;
            result.ErrorMessage = error switch
            {
                ErrorCode.RequestTimedOut => $"The in-sync replicas did not confirm the records within {timeoutMs} ms",
                ErrorCode.NotEnoughReplicasAfterAppend => "The records were written to the leader, but the ISR shrank below min.insync.replicas before they were replicated",
                _ => "The leadership moved before the records were replicated",
            };
        }
        return response;
    }

    private sealed record Waiting(Partitions.Partition Partition, long EndOffset, ProduceResponse.PartitionProduceResponse Result);

    /// <summary>acks=0 gets no response; a failure then closes the connection (as Kafka does) so the producer notices.</summary>
    private static ProduceResponse? Finish(ProduceResponse response, short acks)
    {
        if (acks != 0)
            return response;
        foreach (var t in response.Responses)
        {
            foreach (var p in t.PartitionResponses)
            {
                if (p.ErrorCode != 0)
                    throw new InvalidRequestException($"acks=0 produce to {t.Name}-{p.Index} failed with error {(ErrorCode)p.ErrorCode}");
            }
        }
        return null;
    }

    private void AppendTopic(ProduceRequest.TopicProduceData topic, ProduceResponse.TopicProduceResponse topicResponse, short acks, bool validAcks,
        ref List<Waiting>? waiting)
    {
        Metrics.TopicCounters? stats = null; // looked up once a partition exists: client-made names never get counters
        foreach (var data in topic.PartitionData)
        {
            var result = new ProduceResponse.PartitionProduceResponse { Index = data.Index, BaseOffset = -1 };
            topicResponse.PartitionResponses.Add(result);
            if (!validAcks)
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequiredAcks;
                continue;
            }
            var partition = services.Replicas.Get(topic.Name, data.Index);
            if (partition is null)
            {
                result.ErrorCode = (short)services.Replicas.MissingError(topic.Name, data.Index);
                continue;
            }
            var bytes = data.Records is MemoryRecordSet m ? MemoryMarshal.AsMemory(m.Bytes) : Memory<byte>.Empty;
            var outcome = partition.Append(bytes, acks);
            stats ??= services.TopicStats.For(topic.Name);
            if (outcome.Error == ErrorCode.None)
            {
                stats.Produced(outcome.LastOffset - outcome.BaseOffset + 1, bytes.Length);
                partition.KeyStats.Observe(bytes.Span);
            }
            else
                stats.ProduceFailed();
            result.ErrorCode = (short)outcome.Error;
            result.LogStartOffset = outcome.LogStartOffset;
            if (outcome.Error == ErrorCode.None)
            {
                result.BaseOffset = outcome.BaseOffset;
                result.LogAppendTimeMs = outcome.LogAppendTime;
                if (acks == -1 && partition.HighWatermark <= outcome.LastOffset)
                    (waiting ??= []).Add(new Waiting(partition, outcome.LastOffset + 1, result));
            }
            else
            {
                result.ErrorMessage = outcome.ErrorMessage;
                if (outcome.RecordErrors is { } recordErrors)
                {
                    foreach (var e in recordErrors)
                        result.RecordErrors.Add(new ProduceResponse.BatchIndexAndErrorMessage { BatchIndex = e.BatchIndex, BatchIndexErrorMessage = e.Message });
                }
                else if (outcome.FailedBatchIndex >= 0 && outcome.Error is ErrorCode.InvalidRecord or ErrorCode.InvalidTimestamp)
                    result.RecordErrors.Add(new ProduceResponse.BatchIndexAndErrorMessage { BatchIndex = outcome.FailedBatchIndex, BatchIndexErrorMessage = outcome.ErrorMessage });
            }
        }
    }
}
