using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// Upgrades a single node's log dir from before single nodes ran as a quorum of one: their metadata was one JSON
/// file, <c>cluster-metadata.json</c>. Its topics (names, ids, partitions, configs), dynamic broker configs and
/// producer id high-water mark are committed to the metadata log, then the file is renamed
/// <c>cluster-metadata.json.imported</c>, so it is imported once. A crash in between imports again: what the log
/// already has (a topic with the same id) is skipped. A topic name the log has under another id stops the broker,
/// since the partition logs on disk carry the file's ids.
/// </summary>
public static class LegacyMetadataImport
{
    public const string FileName = "cluster-metadata.json";

    public const string ImportedSuffix = ".imported";

    // Topics per committed batch: each batch applies all or nothing, and stays well below a quorum fetch's size.
    private const int TopicsPerBatch = 100;

    /// <summary>Imports <c>logDir/cluster-metadata.json</c> if there is one; true when it did (or found it already imported).</summary>
    public static async Task<bool> RunAsync(string logDir, QuorumMetadataStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var path = Path.Combine(logDir, FileName);
        if (!File.Exists(path))
            return false;
        LegacyDocument doc;
        try
        {
            doc = JsonSerializer.Deserialize(File.ReadAllBytes(path), LegacyJsonContext.Default.LegacyDocument)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"Cannot import the single-node metadata file {path}: {ex.Message}. Restore it from a backup, or move it away to start with no topics (the partition logs are then kept, not deleted)");
        }
        if (doc.Version != 1)
            throw new ConfigException($"Cannot import the single-node metadata file {path}: version {doc.Version.ToString(CultureInfo.InvariantCulture)} is not the version 1 this broker reads");
        var records = Plan(doc, store.Image, path);
        var topics = records.OfType<CreateTopicRecord>().Count();
        for (var i = 0; i < records.Count; i += TopicsPerBatch)
        {
            var batch = new BatchRecord(records.Skip(i).Take(TopicsPerBatch).ToList());
            var result = await store.ProposeAsync(batch, cancellationToken).ConfigureAwait(false);
            if (result.Error != Protocol.ErrorCode.None)
                throw new ConfigException($"Cannot import the single-node metadata file {path}: {result.Message ?? result.Error.ToString()}");
        }
        var renamed = path + ImportedSuffix;
        File.Move(path, renamed, overwrite: true);
        Log.Info($"imported {topics.ToString(CultureInfo.InvariantCulture)} topic(s) from the single-node metadata file into the metadata log ({QuorumHost.MetadataDirName}); the file is now {renamed}");
        return true;
    }

    /// <summary>The records that bring <paramref name="image"/> up to the file's content (nothing it already has).</summary>
    internal static List<MetadataRecord> Plan(LegacyDocument doc, MetadataImage image, string path)
    {
        var records = new List<MetadataRecord>();
        foreach (var t in doc.Topics ?? [])
        {
            if (image.TopicsById.ContainsKey(t.TopicId))
                continue;
            if (image.Topic(t.Name) is { } existing)
                throw new ConfigException($"Cannot import the single-node metadata file {path}: topic '{t.Name}' is in the metadata log with id {existing.TopicId}, in the file with id {t.TopicId}. Move the file away to keep the log's topics");
            var replicas = (t.Partitions ?? []).OrderBy(p => p.Partition).Select(p => p.Replicas ?? []).ToList();
            records.Add(new CreateTopicRecord(t.Name, t.TopicId, replicas, new Dictionary<string, string>(t.Configs ?? [], StringComparer.Ordinal)));
        }
        if (doc.BrokerConfigs is { Count: > 0 } configs && image.BrokerConfigs.Count == 0)
            records.Add(new BrokerConfigsRecord(new Dictionary<string, string>(configs, StringComparer.Ordinal)));
        // Producer ids the node handed out stay taken: reserving the difference moves the next block past them.
        if (doc.NextProducerId > image.NextProducerId)
        {
            for (var left = doc.NextProducerId - image.NextProducerId; left > 0; left -= int.MaxValue)
                records.Add(new ProducerIdsRecord(-1, (int)Math.Min(left, int.MaxValue)));
        }
        return records;
    }
}

internal sealed record LegacyPartition(int Partition, int Leader, int LeaderEpoch, int[]? Replicas, int[]? Isr);

internal sealed record LegacyTopic(string Name, Guid TopicId, List<LegacyPartition>? Partitions, Dictionary<string, string>? Configs);

internal sealed record LegacyDocument(int Version, List<LegacyTopic>? Topics, Dictionary<string, string>? BrokerConfigs, long NextProducerId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LegacyDocument))]
internal sealed partial class LegacyJsonContext : JsonSerializerContext
{
}
