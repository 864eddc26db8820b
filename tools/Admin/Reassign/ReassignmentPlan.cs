using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Reassign;

/// <summary>
/// A reassignment plan in kafka-reassign-partitions.sh's JSON format:
/// {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]},...]} ("log_dirs" is accepted and
/// ignored: this broker has one log dir per partition). Anything else is a usage error naming what is wrong.
/// </summary>
public sealed record ReassignmentPlan(IReadOnlyList<PlannedPartition> Partitions)
{
    public static ReassignmentPlan Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"cannot read the plan {path}: {ex.Message}");
        }
        return Parse(text, path);
    }

    public static ReassignmentPlan Parse(string json, string source = "the plan")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new CommandException($"{source} is not JSON: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("partitions", out var partitions) || partitions.ValueKind != JsonValueKind.Array)
                throw new CommandException($"{source} has no \"partitions\" array (expected {{\"version\":1,\"partitions\":[{{\"topic\":..,\"partition\":..,\"replicas\":[..]}}]}}).");
            if (root.TryGetProperty("version", out var version) && (version.ValueKind != JsonValueKind.Number || version.GetInt32() != 1))
                throw new CommandException($"{source}: unsupported version {version} (only 1).");
            var result = new List<PlannedPartition>();
            var seen = new HashSet<TopicPartition>();
            foreach (var p in partitions.EnumerateArray())
            {
                if (p.ValueKind != JsonValueKind.Object
                    || !p.TryGetProperty("topic", out var topic) || topic.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(topic.GetString())
                    || !p.TryGetProperty("partition", out var index) || index.ValueKind != JsonValueKind.Number || !index.TryGetInt32(out var partition) || partition < 0
                    || !p.TryGetProperty("replicas", out var replicas) || replicas.ValueKind != JsonValueKind.Array)
                    throw new CommandException($"{source}: each partition needs \"topic\" (string), \"partition\" (>= 0) and \"replicas\" (array): {p}");
                var brokers = new List<int>();
                foreach (var r in replicas.EnumerateArray())
                {
                    if (r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out var id))
                        throw new CommandException($"{source}: replicas must be broker ids: {p}");
                    brokers.Add(id);
                }
                var tp = new TopicPartition(topic.GetString()!, partition);
                if (!seen.Add(tp))
                    throw new CommandException($"{source} lists {tp} more than once.");
                result.Add(new PlannedPartition(tp, brokers));
            }
            if (result.Count == 0)
                throw new CommandException($"{source} lists no partitions.");
            return new ReassignmentPlan(result);
        }
    }
}

public sealed record PlannedPartition(TopicPartition Partition, IReadOnlyList<int> Replicas);
