using KafkaOperator.Protocol;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Policies;

namespace KafkaOperator.Server.Cluster;

/// <summary>The outcome of a topic operation: an error code and message, or success with the resulting topic.</summary>
public readonly record struct TopicResult(ErrorCode Error, string? Message, TopicMetadata? Topic)
{
    public static TopicResult Fail(ErrorCode error, string message) => new(error, message, null);
}

/// <summary>
/// Validates and applies topic lifecycle changes (create, delete, add partitions, configs) through the
/// <see cref="IMetadataStore"/>. Partition logs follow the metadata: the replica manager reacts to the new image.
/// The configured create-topic policy sees every creation and partition increase that passed validation, also
/// validate-only ones, and its rejection is POLICY_VIOLATION with the policy's message.
/// Exception policy: bad input becomes a Kafka error code in the result; store I/O failures propagate.
/// </summary>
public sealed class TopicManager(BrokerConfig config, IMetadataStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Task> _creating = new(StringComparer.Ordinal); // name -> its commit, until published here

    /// <summary>The brokers new replicas may go to: the unfenced registered brokers by id.</summary>
    public static IReadOnlyList<int> PlaceableBrokers(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return [.. image.Brokers.Values.Where(b => !b.Fenced).Select(b => b.Id).Order()];
    }

    private static bool IsRegistered(MetadataImage image, int id) => image.Brokers.ContainsKey(id);

    /// <summary>The rack of a broker new replicas may go to (this node's own on a single node); null when it has none.</summary>
    private string? RackOf(MetadataImage image, int id) =>
        image.Brokers.TryGetValue(id, out var broker) ? broker.Rack : id == config.NodeId ? config.Rack : null;

    private int[][] Place(MetadataImage image, string name, int first, int count, short replicationFactor, IReadOnlyList<int> brokers)
    {
        var racks = brokers.ToDictionary(b => b, b => RackOf(image, b) ?? "");
        return racks.Values.Distinct().Count() > 1
            ? TopicPlacement.PlaceRackAware(name, first, count, replicationFactor, racks)
            : TopicPlacement.Place(name, first, count, replicationFactor, brokers);
    }

    public async Task<TopicResult> CreateAsync(
        string name,
        int numPartitions,
        short replicationFactor,
        IReadOnlyDictionary<string, int[]>? assignments,
        IReadOnlyDictionary<string, string?>? configs,
        bool validateOnly,
        CancellationToken cancellationToken = default)
    {
        if (TopicNames.Validate(name) is { } invalid)
            return TopicResult.Fail(ErrorCode.InvalidTopicException, invalid);
        var hasAssignments = assignments is { Count: > 0 };
        if (hasAssignments && (numPartitions != -1 || replicationFactor != -1))
            return TopicResult.Fail(ErrorCode.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
        int[][]? replicas = null;
        if (hasAssignments)
        {
            replicas = new int[assignments!.Count][];
            foreach (var (key, nodes) in assignments)
            {
                if (!int.TryParse(key, out var p) || p < 0 || p >= replicas.Length || replicas[p] is not null)
                    return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence");
                if (nodes.Length == 0 || nodes.Distinct().Count() != nodes.Length)
                    return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"Duplicate or empty replica assignment for partition {p}");
                foreach (var n in nodes)
                {
                    if (!IsRegistered(store.Image, n))
                        return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"Replica assignment for partition {p} refers to unknown broker {n}");
                }
                replicas[p] = nodes;
            }
            for (var p = 1; p < replicas.Length; p++)
            {
                if (replicas[p].Length != replicas[0].Length)
                    return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"Inconsistent replication factor between partitions, partition 0 has {replicas[0].Length} while partition {p} has {replicas[p].Length} replicas.");
            }
            numPartitions = replicas.Length;
        }
        else
        {
            if (numPartitions == -1)
                numPartitions = config.NumPartitions;
            if (replicationFactor == -1)
                replicationFactor = config.DefaultReplicationFactor;
            if (numPartitions <= 0)
                return TopicResult.Fail(ErrorCode.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
            if (replicationFactor <= 0)
                return TopicResult.Fail(ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.");
            var live = PlaceableBrokers(store.Image).Count;
            if (replicationFactor > live)
                return TopicResult.Fail(ErrorCode.InvalidReplicationFactor, $"Unable to replicate the partition {replicationFactor} time(s): The target replication factor of {replicationFactor} cannot be reached because only {live} broker(s) are registered.");
        }
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (configs is not null)
        {
            foreach (var (k, v) in configs)
            {
                if (TopicConfigDefs.Validate(k, v) is { } error)
                    return TopicResult.Fail(ErrorCode.InvalidConfig, error);
                if (v is not null)
                    overrides[k] = v;
            }
        }

        // Checked and reserved under a lock, committed outside it: the topics of one CreateTopics request (and of
        // concurrent ones) are proposed together and share metadata commits, instead of one commit, and this node's
        // publication of it, after another. A name is reserved until its commit has been published here; a creation
        // of the same or a colliding name waits for that and is then checked against the result, as it was when
        // creations ran one at a time (an auto-creation that finds the topic created must also find it in the image).
        TopicMetadata topic;
        TaskCompletionSource reserved;
        while (true)
        {
            Task? inFlight = null;
            lock (_creating)
            {
                if (!_creating.TryGetValue(name, out inFlight) && Collides(_creating.Keys, name) is { } pending)
                    inFlight = _creating[pending];
                if (inFlight is null)
                {
                    var image = store.Image;
                    if (image.TopicsByName.ContainsKey(name))
                        return TopicResult.Fail(ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists.");
                    if (Collides(image.TopicsByName.Keys, name) is { } other)
                        return TopicResult.Fail(ErrorCode.InvalidTopicException, $"Topic '{name}' collides with existing topic: {other}");
                    var policyRequest = new TopicPolicyRequest(name, numPartitions, replicas is null ? replicationFactor : (short)replicas.Max(r => r.Length), replicas, overrides, CurrentPartitions: 0);
                    if (config.Policies.CreateTopic?.Validate(policyRequest) is { } violation)
                        return TopicResult.Fail(ErrorCode.PolicyViolation, violation);
                    var brokers = PlaceableBrokers(image);
                    if (replicas is null && brokers.Count == 0)
                        return TopicResult.Fail(ErrorCode.InvalidReplicationFactor, "No live brokers are registered to place the partitions on.");
                    replicas ??= Place(image, name, 0, numPartitions, replicationFactor, brokers);
                    var partitions = new PartitionMetadata[numPartitions];
                    for (var i = 0; i < numPartitions; i++)
                        partitions[i] = new PartitionMetadata(i, replicas[i][0], 0, replicas[i], replicas[i]);
                    topic = new TopicMetadata(name, Guid.NewGuid(), partitions, overrides);
                    if (validateOnly)
                        return new TopicResult(ErrorCode.None, null, topic);
                    reserved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _creating[name] = reserved.Task;
                    break;
                }
            }
            await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        try
        {
            if (await StoreCommit.RunAsync(() => store.CreateTopicAsync(topic, cancellationToken)).ConfigureAwait(false) is { } failed)
                return TopicResult.Fail(failed.Error, failed.Message);
            return new TopicResult(ErrorCode.None, null, store.Image.Topic(topic.TopicId) ?? topic);
        }
        finally
        {
            lock (_creating)
                _creating.Remove(name);
            reserved.TrySetResult();
        }
    }

    public async Task<TopicResult> DeleteAsync(TopicMetadata topic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!config.DeleteTopicEnable)
            return TopicResult.Fail(ErrorCode.TopicDeletionDisabled, "Topic deletion is disabled.");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!store.Image.TopicsById.ContainsKey(topic.TopicId))
                return TopicResult.Fail(ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition.");
            if (await StoreCommit.RunAsync(() => store.DeleteTopicAsync(topic.TopicId, cancellationToken)).ConfigureAwait(false) is { } failed)
                return TopicResult.Fail(failed.Error, failed.Message);
            return new TopicResult(ErrorCode.None, null, topic);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<TopicResult> AddPartitionsAsync(string name, int newCount, List<int[]>? assignments, bool validateOnly, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var topic = store.Image.Topic(name);
            if (topic is null)
                return TopicResult.Fail(ErrorCode.UnknownTopicOrPartition, $"The topic '{name}' does not exist.");
            var current = topic.Partitions.Length;
            if (newCount < current)
                return TopicResult.Fail(ErrorCode.InvalidPartitions, $"The topic {name} currently has {current} partition(s); {newCount} would not be an increase.");
            if (newCount == current)
                return TopicResult.Fail(ErrorCode.InvalidPartitions, $"Topic already has {current} partition(s).");
            if (assignments is not null && assignments.Count != newCount - current)
                return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"Attempted to add {newCount - current} additional partition(s), but only {assignments.Count} assignment(s) were specified.");
            var image = store.Image;
            var brokers = PlaceableBrokers(image);
            if (assignments is null && brokers.Count == 0)
                return TopicResult.Fail(ErrorCode.InvalidReplicationFactor, "No live brokers are registered to place the partitions on.");
            var rf = (short)topic.Partitions[0].Replicas.Length;
            if (assignments is null && rf > brokers.Count)
                return TopicResult.Fail(ErrorCode.InvalidReplicationFactor, $"Unable to replicate the partition {rf} time(s): only {brokers.Count} broker(s) are live.");
            var placed = assignments?.ToArray() ?? Place(image, name, current, newCount - current, rf, brokers);
            var added = new List<PartitionMetadata>();
            for (var i = current; i < newCount; i++)
            {
                var nodes = placed[i - current];
                foreach (var n in nodes)
                {
                    if (!IsRegistered(image, n))
                        return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {n}, but no such broker is registered.");
                }
                if (nodes.Length == 0 || nodes.Distinct().Count() != nodes.Length)
                    return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"Duplicate or empty replica assignment for partition {i}");
                if (nodes.Length != rf)
                    return TopicResult.Fail(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes a partition with {nodes.Length} replica(s), but this is not consistent with previous partitions, which have {rf} replica(s).");
                added.Add(new PartitionMetadata(i, nodes[0], 0, nodes, nodes));
            }
            var policyRequest = new TopicPolicyRequest(name, newCount, rf, assignments, new Dictionary<string, string>(), current);
            if (config.Policies.CreateTopic?.Validate(policyRequest) is { } violation)
                return TopicResult.Fail(ErrorCode.PolicyViolation, violation);
            if (!validateOnly && await StoreCommit.RunAsync(() => store.AddPartitionsAsync(topic.TopicId, added, cancellationToken)).ConfigureAwait(false) is { } failed)
                return TopicResult.Fail(failed.Error, failed.Message);
            return new TopicResult(ErrorCode.None, null, store.Image.Topic(topic.TopicId) ?? topic);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string? Collides(IEnumerable<string> names, string name)
    {
        if (!name.Contains('.', StringComparison.Ordinal) && !name.Contains('_', StringComparison.Ordinal))
            return null;
        var normalized = name.Replace('.', '_');
        foreach (var existing in names)
        {
            if (existing != name && existing.Replace('.', '_') == normalized)
                return existing;
        }
        return null;
    }
}
