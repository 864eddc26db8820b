using System.CommandLine;
using KafkaOperator.Admin.Output;
using KafkaOperator.Balancer;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>
/// kafkactl reassign plan: what kafka-reassign-partitions --generate does, but planned by the built-in balancer
/// (replica, preferred-leader and byte counts evened out with few moves, rack spread kept), for the whole cluster,
/// with --add-brokers (scale-up) or --remove-brokers (scale-down).
/// </summary>
public static class ReassignPlanCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("plan", "Plan partition moves that even out replicas, preferred leaders and bytes per broker; prints Kafka's reassignment JSON.");
        var add = new Option<string?>("--add-brokers") { Description = "Comma-separated ids of new brokers that should receive replicas and leaders." };
        var remove = new Option<string?>("--remove-brokers") { Description = "Comma-separated ids of brokers to empty (scale-down)." };
        var file = new Option<string?>("--output-file") { Description = "Write the reassignment JSON to this file instead of stdout." };
        command.Options.Add(add);
        command.Options.Add(remove);
        command.Options.Add(file);
        runner.Bind(command, async (ctx, ct) =>
        {
            var adding = ReassignPlanView.Ids(ctx.Value(add), "--add-brokers");
            var removing = ReassignPlanView.Ids(ctx.Value(remove), "--remove-brokers");
            await using var admin = await ctx.ConnectAsync(ct);
            var cluster = await admin.DescribeClusterAsync(ct);
            var topics = await admin.DescribeAllTopicsAsync(includeInternal: true, ct);
            if (topics.FirstOrDefault(t => !t.Succeeded) is { Error: { } error })
                throw error;
            var sizes = await SizesAsync(admin, ct);
            BalancePlan plan;
            try
            {
                plan = ReplicaBalancer.Plan(ReassignPlanView.Request(cluster, topics, sizes, adding, removing));
            }
            catch (BalancerException e)
            {
                throw new CommandException(e.Message);
            }
            var summary = ReassignPlanView.Summary(plan, sizes.Count > 0);
            var json = ReassignPlanView.ReassignmentJson(summary.Reassignment);
            var path = ctx.Value(file);
            if (path is not null)
                await File.WriteAllTextAsync(path, json + "\n", ct);
            if (ctx.Json)
            {
                JsonOutput.Write(ctx.Out, summary);
                return ExitCodes.Ok;
            }
            ReassignPlanView.WriteTable(ctx.Out, summary);
            ctx.Out.WriteLine();
            if (path is null)
            {
                ctx.Out.WriteLine("Proposed partition reassignment configuration");
                ctx.Out.WriteLine(json);
            }
            else
            {
                ctx.Out.WriteLine($"Proposed partition reassignment configuration written to {path}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Partition sizes in bytes (the largest replica's). Kafka tools read them with DescribeLogDirs (API 35); until the
    /// client has it, sizes are unknown and the plan evens out replica and leader counts only.
    /// </summary>
    /// <summary>
    /// Each partition's size: the largest copy any broker reports through DescribeLogDirs (the leader's, unless a
    /// follower briefly holds more). Empty when no broker can describe its log dirs: the plan then evens counts only.
    /// </summary>
    private static async Task<IReadOnlyDictionary<(string Topic, int Partition), long>> SizesAsync(KafkaAdminClient admin, CancellationToken cancellationToken)
    {
        IReadOnlyList<LogDirDescription> dirs;
        try
        {
            dirs = await admin.DescribeLogDirsAsync(cancellationToken: cancellationToken);
        }
        catch (KafkaException)
        {
            return new Dictionary<(string, int), long>();
        }
        var sizes = new Dictionary<(string, int), long>();
        foreach (var replica in dirs.Where(d => d.Succeeded).SelectMany(d => d.Replicas).Where(r => !r.IsFuture))
        {
            var key = (replica.Topic, replica.Partition);
            sizes[key] = Math.Max(sizes.GetValueOrDefault(key), replica.SizeBytes);
        }
        return sizes;
    }
}
