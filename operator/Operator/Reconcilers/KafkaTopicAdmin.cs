using System.Collections.Concurrent;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// <see cref="ITopicAdmin"/> over the Kafka protocol (KafkaOperator.Client). One admin connection per bootstrap
/// address is kept and dropped after a connection-level failure so the next pass reconnects.
/// Every failure surfaces as <see cref="TopicAdminException"/> whose ErrorCode is the Kafka error name
/// (InvalidReplicationFactor, PolicyViolation...) or BrokerNotAvailable when the brokers cannot be reached.
/// </summary>
public sealed partial class KafkaTopicAdmin : ITopicAdmin, IClusterAdmin, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<KafkaAdminClient>>> _clients = new(StringComparer.Ordinal);

    public Task<int> CountBrokersAsync(string bootstrap, CancellationToken ct) =>
        RunAsync(bootstrap, async a => (await a.DescribeClusterAsync(ct).ConfigureAwait(false)).Brokers.Count);

    public Task<TopicState?> DescribeTopicAsync(string bootstrap, string topic, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var d = await a.DescribeTopicAsync(topic, ct).ConfigureAwait(false);
            if (d.Error?.Code == ErrorCode.UnknownTopicOrPartition)
            {
                return null;
            }
            ThrowIf(d.Error);
            var configs = await a.DescribeTopicConfigsAsync(topic, ct).ConfigureAwait(false);
            ThrowIf(configs.Error);
            // Only values set on the topic itself are the operator's business; defaults come from the brokers.
            var explicitConfig = configs.Entries
                .Where(e => e.Source == ConfigSource.DynamicTopicConfig && e.Value is not null)
                .ToDictionary(e => e.Name, e => e.Value!, StringComparer.Ordinal);
            var assignment = await AssignmentAsync(a, d, ct).ConfigureAwait(false);
            // While a reassignment runs the replica lists are the union of old and new: the target is the topic's RF.
            var rf = assignment.Count == 0 ? 0 : assignment.Max(p => p.Target.Count);
            return new TopicState(topic, Id(d.TopicId), d.Partitions.Count, rf, explicitConfig) { Assignment = assignment };
        });

    public Task<string?> CreateTopicAsync(string bootstrap, string topic, int partitions, int replicationFactor, IReadOnlyDictionary<string, string> config, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var configs = config.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal);
            var result = await a.CreateTopicAsync(topic, partitions, checked((short)replicationFactor), configs, ct).ConfigureAwait(false);
            ThrowIf(result.Error);
            // The id comes from metadata, which may lag behind creation: a later pass fills it in.
            var d = await a.DescribeTopicAsync(topic, ct).ConfigureAwait(false);
            return d.Succeeded ? Id(d.TopicId) : null;
        });

    public Task CreatePartitionsAsync(string bootstrap, string topic, int totalCount, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var results = await a.CreatePartitionsAsync(new Dictionary<string, int> { [topic] = totalCount }, cancellationToken: ct).ConfigureAwait(false);
            ThrowIf(results[0].Error);
            return true;
        });

    public Task AlterTopicConfigAsync(string bootstrap, string topic, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var ops = set.Select(kv => new ConfigAlteration(kv.Key, kv.Value, AlterConfigOp.Set))
                .Concat(delete.Select(k => new ConfigAlteration(k, null, AlterConfigOp.Delete)))
                .ToList();
            var results = await a.IncrementalAlterConfigsAsync(
                new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> { [ConfigResource.Topic(topic)] = ops }, cancellationToken: ct).ConfigureAwait(false);
            ThrowIf(results[0].Error);
            return true;
        });

    public Task DeleteTopicAsync(string bootstrap, string topic, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var result = await a.DeleteTopicAsync(topic, ct).ConfigureAwait(false);
            if (result.Error?.Code != ErrorCode.UnknownTopicOrPartition)
            {
                ThrowIf(result.Error);
            }
            return true;
        });

    private static string? Id(Guid id) => id == Guid.Empty ? null : id.ToString();

    private static void ThrowIf(KafkaException? error)
    {
        if (error is not null)
        {
            throw new TopicAdminException(error.Message, error.Code.ToString(), error);
        }
    }

    private async Task<T> RunAsync<T>(string bootstrap, Func<KafkaAdminClient, Task<T>> operation)
    {
        var lazy = _clients.GetOrAdd(bootstrap, b => new Lazy<Task<KafkaAdminClient>>(() => KafkaAdminClient.ConnectAsync(b)));
        try
        {
            var client = await lazy.Value.ConfigureAwait(false);
            return await operation(client).ConfigureAwait(false);
        }
        catch (TopicAdminException)
        {
            throw;
        }
        catch (KafkaException e) when (!e.IsRetriable && e.Code != ErrorCode.UnknownServerError)
        {
            throw new TopicAdminException(e.Message, e.Code.ToString(), e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Connection-level trouble: forget this client so the next attempt reconnects.
            if (_clients.TryRemove(new KeyValuePair<string, Lazy<Task<KafkaAdminClient>>>(bootstrap, lazy)) && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
            throw new TopicAdminException($"cannot reach the brokers at {bootstrap}: {e.Message}", "BrokerNotAvailable", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _clients.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
        _clients.Clear();
    }
}
