using System.CommandLine;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>kafkactl cluster balance: replicas, leaders, bytes and leader imbalance per broker.</summary>
public static class ClusterCommands
{
    public static Command Create(CommandRunner runner)
    {
        var cluster = new Command("cluster", "Inspect the cluster as a whole.");
        cluster.Subcommands.Add(Balance(runner));
        return cluster;
    }

    private static Command Balance(CommandRunner runner)
    {
        var command = new Command("balance",
            "Per broker: replicas, leaders, bytes on disk, and the leader imbalance the controller's auto rebalancing sees.");
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            var cluster = await admin.DescribeClusterAsync(ct);
            var topics = await admin.DescribeAllTopicsAsync(includeInternal: true, ct);
            var dirs = await admin.DescribeLogDirsAsync(cancellationToken: ct);
            var settings = await RebalanceSettingsAsync(admin, cluster.ControllerId, ct);
            ctx.Write(ClusterViews.Balance(cluster, topics, dirs, settings), ClusterViews.WriteBalance);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The controller's auto.leader.rebalance.enable and leader.imbalance.per.broker.percentage; null when they cannot be read.</summary>
    private static async Task<RebalanceSettings?> RebalanceSettingsAsync(KafkaAdminClient admin, int controllerId, CancellationToken ct)
    {
        if (controllerId < 0)
        {
            return null;
        }

        var result = (await admin.DescribeConfigsAsync([ConfigResource.Broker(controllerId)], cancellationToken: ct))[0];
        if (!result.Succeeded || result["leader.imbalance.per.broker.percentage"]?.Value is not { } percentage
            || !int.TryParse(percentage, System.Globalization.CultureInfo.InvariantCulture, out var threshold))
        {
            return null;
        }

        var enabled = !string.Equals(result["auto.leader.rebalance.enable"]?.Value, "false", StringComparison.OrdinalIgnoreCase);
        return new RebalanceSettings(enabled, threshold);
    }
}
