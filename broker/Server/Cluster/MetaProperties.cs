using System.Globalization;
using System.Text;
using KafkaOperator.Server.Config;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Cluster;

/// <summary>
/// meta.properties in each log directory, as Kafka writes it (version 1: cluster.id, node.id, directory.id). A
/// directory that belongs to another node is refused at start-up, like Kafka does.
/// </summary>
public static class MetaProperties
{
    public const string FileName = "meta.properties";

    /// <summary>
    /// Reads the cluster id from any log dir that has one, else takes <paramref name="configured"/> (what
    /// `kafka-storage format --cluster-id` gives Kafka), else generates one; writes missing files. A stored id that
    /// differs from the configured one is refused: the directory belongs to another cluster.
    /// </summary>
    public static string Ensure(IReadOnlyList<string> logDirs, int nodeId, string? configured = null)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        string? clusterId = null;
        foreach (var dir in logDirs)
        {
            var path = Path.Combine(dir, FileName);
            if (!File.Exists(path))
                continue;
            var props = PropertiesFile.Load(path);
            if (props.TryGetValue("node.id", out var storedNode) && storedNode != nodeId.ToString(CultureInfo.InvariantCulture))
                throw new ConfigException($"Stored node id {storedNode} in {path} doesn't match the configured node.id {nodeId}");
            if (props.TryGetValue("cluster.id", out var id))
            {
                if (clusterId is not null && clusterId != id)
                    throw new ConfigException($"Log directories disagree on cluster.id: {clusterId} and {id} ({path})");
                clusterId = id;
            }
        }
        if (clusterId is not null && !string.IsNullOrEmpty(configured) && clusterId != configured)
            throw new ConfigException($"The log directories belong to cluster {clusterId}, but cluster.id is {configured}");
        clusterId ??= string.IsNullOrEmpty(configured) ? NewId() : configured;
        foreach (var dir in logDirs)
        {
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, FileName);
            if (File.Exists(path))
                continue;
            var text = new StringBuilder()
                .Append("#\n#").Append(DateTime.UtcNow.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture)).Append('\n')
                .Append("cluster.id=").Append(clusterId).Append('\n')
                .Append("directory.id=").Append(NewId()).Append('\n')
                .Append("node.id=").Append(nodeId.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append("version=1\n")
                .ToString();
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(text));
        }
        return clusterId;
    }

    /// <summary>A Kafka-style id: a random UUID in URL-safe base64 without padding (22 chars).</summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes, bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
