using System.Globalization;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>The controller's leader rebalancing settings (auto.leader.rebalance.enable, leader.imbalance.per.broker.percentage).</summary>
public sealed record RebalanceSettings(bool Enabled, int ThresholdPercent);

/// <summary>
/// One broker's load. PreferredFor: partitions whose preferred leader (first replica) it is; LedElsewhere: of those,
/// the ones another broker (or none) leads; ImbalancePercent = LedElsewhere / PreferredFor × 100, as the controller
/// computes it. Bytes: the sizes of every replica it holds (DescribeLogDirs), null when it could not be asked.
/// </summary>
public sealed record BrokerBalanceRow(int Broker, string? Rack, bool Live, int Replicas, int Leaders, int PreferredFor, int LedElsewhere,
    double ImbalancePercent, bool AboveThreshold, long? Bytes);

public sealed record ClusterBalance(int ControllerId, bool? AutoLeaderRebalance, int? ImbalanceThresholdPercent, int Partitions,
    IReadOnlyList<BrokerBalanceRow> Brokers);

public static class ClusterViews
{
    /// <summary>The controller's rule: a broker preferred for nothing has no imbalance.</summary>
    public static double ImbalancePercent(int preferredFor, int ledElsewhere) =>
        preferredFor == 0 ? 0 : 100.0 * ledElsewhere / preferredFor;

    public static ClusterBalance Balance(ClusterDescription cluster, IReadOnlyList<TopicDescription> topics, IReadOnlyList<LogDirDescription> dirs,
        RebalanceSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(dirs);
        var live = cluster.Brokers.ToDictionary(b => b.NodeId);
        var counts = new SortedDictionary<int, (int Replicas, int Leaders, int Preferred, int Elsewhere)>();
        foreach (var id in live.Keys)
        {
            counts[id] = default;
        }

        var partitions = 0;
        foreach (var p in topics.Where(t => t.Succeeded).SelectMany(t => t.Partitions))
        {
            partitions++;
            foreach (var r in p.Replicas)
            {
                var c = counts.GetValueOrDefault(r);
                counts[r] = c with { Replicas = c.Replicas + 1 };
            }

            if (p.LeaderId >= 0)
            {
                var c = counts.GetValueOrDefault(p.LeaderId);
                counts[p.LeaderId] = c with { Leaders = c.Leaders + 1 };
            }

            if (p.Replicas.Count > 0)
            {
                var preferred = p.Replicas[0];
                var c = counts.GetValueOrDefault(preferred);
                counts[preferred] = c with { Preferred = c.Preferred + 1, Elsewhere = c.Elsewhere + (p.LeaderId != preferred ? 1 : 0) };
            }
        }

        var bytes = dirs.GroupBy(d => d.BrokerId).ToDictionary(g => g.Key,
            g => g.Any(d => !d.Succeeded) ? (long?)null : g.Sum(d => d.Replicas.Sum(r => r.SizeBytes)));
        var rows = counts.Select(kv =>
        {
            var imbalance = ImbalancePercent(kv.Value.Preferred, kv.Value.Elsewhere);
            return new BrokerBalanceRow(kv.Key, live.GetValueOrDefault(kv.Key)?.Rack, live.ContainsKey(kv.Key), kv.Value.Replicas, kv.Value.Leaders,
                kv.Value.Preferred, kv.Value.Elsewhere, Math.Round(imbalance, 1),
                settings is { } s && imbalance > s.ThresholdPercent, bytes.GetValueOrDefault(kv.Key));
        }).ToList();
        return new ClusterBalance(cluster.ControllerId, settings?.Enabled, settings?.ThresholdPercent, partitions, rows);
    }

    public static void WriteBalance(TextWriter writer, ClusterBalance balance)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(balance);
        var rebalance = balance.AutoLeaderRebalance switch
        {
            true => $"on, above {balance.ImbalanceThresholdPercent} %",
            false => $"off (threshold {balance.ImbalanceThresholdPercent} %)",
            null => "unknown",
        };
        writer.WriteLine($"Controller: {balance.ControllerId}   Partitions: {balance.Partitions}   Auto leader rebalance: {rebalance}");
        writer.WriteLine();
        var table = new TextTable("BROKER", "RACK", "STATUS", "REPLICAS", "LEADERS", "PREFERRED", "LED-ELSEWHERE", "IMBALANCE", "SIZE")
            .AlignRight("BROKER", "REPLICAS", "LEADERS", "PREFERRED", "LED-ELSEWHERE", "IMBALANCE", "SIZE");
        foreach (var b in balance.Brokers)
        {
            var imbalance = string.Create(CultureInfo.InvariantCulture, $"{b.ImbalancePercent:0.0} %") + (b.AboveThreshold ? " *" : "");
            table.AddRow(b.Broker, b.Rack, b.Live ? "live" : "offline", b.Replicas, b.Leaders, b.PreferredFor, b.LedElsewhere, imbalance,
                b.Bytes is { } size ? TopicViews.FormatBytes(size) : null);
        }

        table.WriteTo(writer);
        if (balance.Brokers.Any(b => b.AboveThreshold))
        {
            writer.WriteLine("* above leader.imbalance.per.broker.percentage: the controller moves these leaders back at its next check (leaders elect --preferred does it now).");
        }
    }
}
