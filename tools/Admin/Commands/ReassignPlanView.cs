using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin.Output;
using KafkaOperator.Balancer;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>One partition of Kafka's reassignment JSON (kafka-reassign-partitions --reassignment-json-file).</summary>
public sealed record ReassignmentPartition(string Topic, int Partition, IReadOnlyList<int> Replicas);

/// <summary>Kafka's reassignment document: {"version":1,"partitions":[...]}.</summary>
public sealed record Reassignment(int Version, IReadOnlyList<ReassignmentPartition> Partitions);

public sealed record BrokerPlanRow(int Broker, string? Rack, int ReplicasBefore, int ReplicasAfter, int LeadersBefore, int LeadersAfter,
    long BytesBefore, long BytesAfter);

/// <summary>What `reassign plan` reports: the reassignment, loads per broker, the moves against their lower bound and the spreads.</summary>
public sealed record ReassignPlanSummary(Reassignment Reassignment, IReadOnlyList<BrokerPlanRow> Brokers, int ReplicaMoves,
    int LowerBoundMoves, long BytesMoved, int LeaderChanges, bool SizesKnown, BalanceMeasures Before, BalanceMeasures After);

/// <summary>Builds the balancer's input from a cluster description and renders its plan.</summary>
public static class ReassignPlanView
{
    /// <summary>The balancer's view of the cluster: live brokers with racks, every partition's replicas, sizes where known (else 0).</summary>
    public static BalanceRequest Request(ClusterDescription cluster, IEnumerable<TopicDescription> topics,
        IReadOnlyDictionary<(string Topic, int Partition), long> sizes, IReadOnlyCollection<int> add, IReadOnlyCollection<int> remove)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(sizes);
        var partitions = topics.SelectMany(t => t.Partitions.Select(p => new BalancerPartition(
            t.Name, p.Partition, p.Replicas, p.LeaderId, sizes.GetValueOrDefault((t.Name, p.Partition))))).ToList();
        return new BalanceRequest([.. cluster.Brokers.Select(b => new BalancerBroker(b.NodeId, b.Rack))], partitions, remove, add);
    }

    public static ReassignPlanSummary Summary(BalancePlan plan, bool sizesKnown)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var reassignment = new Reassignment(1, [.. plan.Moves.Select(m => new ReassignmentPartition(m.Topic, m.Partition, m.Target))]);
        var after = plan.After.ToDictionary(b => b.BrokerId);
        var before = plan.Before.ToDictionary(b => b.BrokerId);
        var rows = before.Keys.Union(after.Keys).Order().Select(id =>
        {
            var b = before.GetValueOrDefault(id) ?? new BrokerLoad(id, after[id].Rack, 0, 0, 0);
            var a = after.GetValueOrDefault(id) ?? new BrokerLoad(id, b.Rack, 0, 0, 0);
            return new BrokerPlanRow(id, a.Rack, b.Replicas, a.Replicas, b.Leaders, a.Leaders, b.Bytes, a.Bytes);
        }).ToList();
        return new ReassignPlanSummary(reassignment, rows, plan.ReplicaMoves, plan.LowerBoundMoves, plan.BytesMoved, plan.LeaderChanges,
            sizesKnown, plan.MeasuresBefore, plan.MeasuresAfter);
    }

    /// <summary>The reassignment as kafka-reassign-partitions reads it (snake case is not needed: every name is one word).</summary>
    public static string ReassignmentJson(Reassignment reassignment) =>
        JsonSerializer.Serialize(reassignment, CompactJson);

    private static readonly JsonSerializerOptions CompactJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void WriteTable(TextWriter writer, ReassignPlanSummary summary)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(summary);
        var table = new TextTable("BROKER", "RACK", "REPLICAS", "LEADERS", "BYTES")
            .AlignRight("BROKER", "REPLICAS", "LEADERS", "BYTES");
        foreach (var r in summary.Brokers)
            table.AddRow(r.Broker, r.Rack, Change(r.ReplicasBefore, r.ReplicasAfter), Change(r.LeadersBefore, r.LeadersAfter),
                summary.SizesKnown ? $"{Bytes(r.BytesBefore)} -> {Bytes(r.BytesAfter)}" : "unknown");
        table.WriteTo(writer);
        writer.WriteLine();
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Partitions to move: {summary.Reassignment.Partitions.Count}   Replica moves: {summary.ReplicaMoves} (at least {summary.LowerBoundMoves} needed)   Preferred leader changes: {summary.LeaderChanges}   Data to copy: {(summary.SizesKnown ? Bytes(summary.BytesMoved) : "unknown")}"));
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Spread (most - fewest per broker): replicas {summary.Before.ReplicaSpread} -> {summary.After.ReplicaSpread}, leaders {summary.Before.LeaderSpread} -> {summary.After.LeaderSpread}{(summary.SizesKnown ? $", bytes {Bytes(summary.Before.ByteSpread)} -> {Bytes(summary.After.ByteSpread)}" : "")}; racks per partition at least {summary.Before.MinRackSpread} -> {summary.After.MinRackSpread}"));
    }

    private static string Change(int before, int after) =>
        before == after ? before.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{before} -> {after}");

    private static string Bytes(long bytes) => bytes switch
    {
        < 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.0} GiB"),
    };

    /// <summary>Parses "3,4" into broker ids.</summary>
    public static IReadOnlyList<int> Ids(string? value, string option)
    {
        var ids = new List<int>();
        foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new CommandException($"{option} takes comma-separated broker ids, not '{part}'.");
            ids.Add(id);
        }
        return ids;
    }
}
