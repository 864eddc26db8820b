using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// The metadata image as a snapshot's payload (KIP-630): topics with their partitions and configs, registered
/// brokers, dynamic broker configs and the producer id mark, as JSON like the records. The controller id is not in
/// it: it is the quorum's leader, which the node knows on its own.
/// Exception policy: a payload this version cannot read throws <see cref="InvalidDataException"/> naming why.
/// </summary>
public static class MetadataSnapshot
{
    public const int Version = 1;

    public static byte[] Encode(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var data = new SnapshotData(
            Version,
            image.NextProducerId,
            new Dictionary<string, string>(image.BrokerConfigs, StringComparer.Ordinal),
            [.. image.Brokers.Values.OrderBy(b => b.Id).Select(b => new SnapshotBroker(b.Id, b.Epoch, [.. b.Endpoints], b.Rack, b.Fenced, b.ShuttingDown))],
            [.. image.TopicsById.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new SnapshotTopic(t.Name, t.TopicId, new Dictionary<string, string>(t.Configs, StringComparer.Ordinal), t.Partitions))]);
        return JsonSerializer.SerializeToUtf8Bytes(data, MetadataSnapshotJson.Default.SnapshotData);
    }

    public static MetadataImage Decode(ReadOnlySpan<byte> payload, int controllerId)
    {
        SnapshotData? data;
        try
        {
            data = JsonSerializer.Deserialize(payload, MetadataSnapshotJson.Default.SnapshotData);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"the metadata snapshot cannot be read: {ex.Message}", ex);
        }
        if (data is null || data.Version != Version)
            throw new InvalidDataException($"the metadata snapshot has version {data?.Version}, this broker reads {Version}");
        var byId = new Dictionary<Guid, TopicMetadata>(data.Topics.Count);
        var byName = new Dictionary<string, TopicMetadata>(data.Topics.Count, StringComparer.Ordinal);
        foreach (var t in data.Topics)
        {
            var topic = new TopicMetadata(t.Name, t.TopicId, t.Partitions, new Dictionary<string, string>(t.Configs, StringComparer.Ordinal));
            byId[t.TopicId] = topic;
            byName[t.Name] = topic;
        }
        var brokers = data.Brokers.ToDictionary(b => b.Id, b => new BrokerInfo(b.Id, b.Epoch, b.Endpoints, b.Rack, b.Fenced, b.ShuttingDown));
        return new MetadataImage(byName, byId, new Dictionary<string, string>(data.BrokerConfigs, StringComparer.Ordinal), data.NextProducerId, brokers, controllerId);
    }

    internal sealed record SnapshotData(int Version, long NextProducerId, Dictionary<string, string> BrokerConfigs, List<SnapshotBroker> Brokers, List<SnapshotTopic> Topics);

    internal sealed record SnapshotBroker(int Id, long Epoch, List<BrokerEndpoint> Endpoints, string? Rack, bool Fenced, bool ShuttingDown);

    internal sealed record SnapshotTopic(string Name, Guid TopicId, Dictionary<string, string> Configs, PartitionMetadata[] Partitions);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MetadataSnapshot.SnapshotData))]
internal sealed partial class MetadataSnapshotJson : JsonSerializerContext
{
}
