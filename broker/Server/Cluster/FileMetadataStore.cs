using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Cluster;

/// <summary>
/// Single-node <see cref="IMetadataStore"/>: the whole image is a small JSON file in the first log directory,
/// replaced atomically (tmp + fsync + rename) on each change, before the new image is published.
/// Exception policy: I/O errors while persisting propagate to the caller and leave the published image unchanged.
/// </summary>
public sealed class FileMetadataStore : IMetadataStore
{
    public const string FileName = "cluster-metadata.json";

    private readonly string _path;
    private readonly Lock _writeLock = new();
    private volatile MetadataImage _image;

    private FileMetadataStore(string path, string clusterId, int nodeId, MetadataImage image, bool existed)
    {
        _path = path;
        ClusterId = clusterId;
        NodeId = nodeId;
        _image = image;
        IsComplete = existed;
    }

    public string ClusterId { get; }
    public int NodeId { get; }
    public MetadataImage Image => _image;

    /// <summary>
    /// False when the file was missing at start: then the metadata may have been lost rather than never written,
    /// and partition logs on disk are kept instead of being judged orphans of an empty image.
    /// </summary>
    public bool IsComplete { get; }

    public event Action<MetadataImage>? Changed;

    public static FileMetadataStore Open(string logDir, string clusterId, int nodeId)
    {
        Directory.CreateDirectory(logDir);
        var path = Path.Combine(logDir, FileName);
        var image = MetadataImage.Empty;
        var existed = File.Exists(path);
        if (existed)
        {
            var doc = JsonSerializer.Deserialize(File.ReadAllBytes(path), MetadataJsonContext.Default.MetadataDocument)
                ?? throw new InvalidDataException($"{path} is empty");
            image = FromDocument(doc);
        }
        return new FileMetadataStore(path, clusterId, nodeId, image, existed);
    }

    public Task CreateTopicAsync(TopicMetadata topic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Update(image =>
        {
            if (image.TopicsByName.ContainsKey(topic.Name))
                throw new InvalidOperationException($"Topic '{topic.Name}' already exists.");
            return With(image, t => t.Add(topic));
        });
        return Task.CompletedTask;
    }

    public Task DeleteTopicAsync(Guid topicId, CancellationToken cancellationToken = default)
    {
        Update(image => With(image, t => t.RemoveAll(x => x.TopicId == topicId)));
        return Task.CompletedTask;
    }

    public Task AddPartitionsAsync(Guid topicId, IReadOnlyList<PartitionMetadata> added, CancellationToken cancellationToken = default)
    {
        Update(image => With(image, topics =>
        {
            var i = topics.FindIndex(x => x.TopicId == topicId);
            if (i < 0)
                throw new InvalidOperationException($"Unknown topic id {topicId}");
            topics[i] = topics[i] with { Partitions = [.. topics[i].Partitions, .. added] };
        }));
        return Task.CompletedTask;
    }

    public Task SetTopicConfigsAsync(Guid topicId, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default)
    {
        Update(image => With(image, topics =>
        {
            var i = topics.FindIndex(x => x.TopicId == topicId);
            if (i < 0)
                throw new InvalidOperationException($"Unknown topic id {topicId}");
            topics[i] = topics[i] with { Configs = new Dictionary<string, string>(configs, StringComparer.Ordinal) };
        }));
        return Task.CompletedTask;
    }

    public Task SetBrokerConfigsAsync(IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default)
    {
        Update(image => new MetadataImage(image.TopicsByName, image.TopicsById, new Dictionary<string, string>(configs, StringComparer.Ordinal), image.NextProducerId));
        return Task.CompletedTask;
    }

    public Task<long> AllocateProducerIdBlockAsync(int count, CancellationToken cancellationToken = default)
    {
        long start = 0;
        Update(image =>
        {
            start = image.NextProducerId;
            return new MetadataImage(image.TopicsByName, image.TopicsById, image.BrokerConfigs, start + count);
        });
        return Task.FromResult(start);
    }

    private void Update(Func<MetadataImage, MetadataImage> change)
    {
        MetadataImage next;
        lock (_writeLock)
        {
            next = change(_image);
            AtomicFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(ToDocument(next), MetadataJsonContext.Default.MetadataDocument));
            _image = next;
        }
        Changed?.Invoke(next);
    }

    private static MetadataImage With(MetadataImage image, Action<List<TopicMetadata>> edit)
    {
        var topics = new List<TopicMetadata>(image.TopicsByName.Values);
        edit(topics);
        return Build(topics, image.BrokerConfigs, image.NextProducerId);
    }

    private static MetadataImage Build(List<TopicMetadata> topics, IReadOnlyDictionary<string, string> brokerConfigs, long nextProducerId)
    {
        var byName = new Dictionary<string, TopicMetadata>(topics.Count, StringComparer.Ordinal);
        var byId = new Dictionary<Guid, TopicMetadata>(topics.Count);
        foreach (var t in topics)
        {
            byName[t.Name] = t;
            byId[t.TopicId] = t;
        }
        return new MetadataImage(byName, byId, brokerConfigs, nextProducerId);
    }

    private static MetadataDocument ToDocument(MetadataImage image)
    {
        var topics = new List<TopicDocument>(image.TopicsByName.Count);
        foreach (var t in image.TopicsByName.Values)
        {
            var parts = new List<PartitionDocument>(t.Partitions.Length);
            foreach (var p in t.Partitions)
                parts.Add(new PartitionDocument(p.Partition, p.Leader, p.LeaderEpoch, p.Replicas, p.Isr));
            topics.Add(new TopicDocument(t.Name, t.TopicId, parts, new Dictionary<string, string>(t.Configs, StringComparer.Ordinal)));
        }
        return new MetadataDocument(1, topics, new Dictionary<string, string>(image.BrokerConfigs, StringComparer.Ordinal), image.NextProducerId);
    }

    private static MetadataImage FromDocument(MetadataDocument doc)
    {
        var topics = new List<TopicMetadata>();
        foreach (var t in doc.Topics ?? [])
        {
            var parts = new PartitionMetadata[t.Partitions?.Count ?? 0];
            for (var i = 0; i < parts.Length; i++)
            {
                var p = t.Partitions![i];
                parts[i] = new PartitionMetadata(p.Partition, p.Leader, p.LeaderEpoch, p.Replicas ?? [], p.Isr ?? []);
            }
            topics.Add(new TopicMetadata(t.Name, t.TopicId, parts, t.Configs ?? new Dictionary<string, string>(StringComparer.Ordinal)));
        }
        return Build(topics, doc.BrokerConfigs ?? new Dictionary<string, string>(StringComparer.Ordinal), doc.NextProducerId);
    }
}

internal sealed record PartitionDocument(int Partition, int Leader, int LeaderEpoch, int[]? Replicas, int[]? Isr);

internal sealed record TopicDocument(string Name, Guid TopicId, List<PartitionDocument>? Partitions, Dictionary<string, string>? Configs);

internal sealed record MetadataDocument(int Version, List<TopicDocument>? Topics, Dictionary<string, string>? BrokerConfigs, long NextProducerId);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MetadataDocument))]
internal sealed partial class MetadataJsonContext : JsonSerializerContext
{
}
