using System.CommandLine;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Reassign;

/// <summary>
/// kafkactl reassign execute|status|cancel: kafka-reassign-partitions.sh's --execute, --verify and --cancel over
/// AlterPartitionReassignments and ListPartitionReassignments, with the same plan format and throttle handling.
/// </summary>
public static class ReassignCommands
{
    public static Command Create(CommandRunner runner)
    {
        var reassign = new Command("reassign", "Move partition replicas between brokers (KIP-455): plan a balance, execute a plan, follow it, cancel it.");
        reassign.Subcommands.Add(Commands.ReassignPlanCommand.Create(runner));
        reassign.Subcommands.Add(Execute(runner));
        reassign.Subcommands.Add(Status(runner));
        reassign.Subcommands.Add(Cancel(runner));
        return reassign;
    }

    private static Option<string> PlanOption(bool required) => new("--plan")
    {
        Description = "Reassignment plan: {\"version\":1,\"partitions\":[{\"topic\":..,\"partition\":..,\"replicas\":[..]}]} (kafka-reassign-partitions.sh's format).",
        Required = required,
    };

    private static Command Execute(CommandRunner runner)
    {
        var plan = PlanOption(required: true);
        var throttle = new Option<long?>("--throttle")
        {
            Description = "Replication throttle in bytes/s for the moving replicas (leader and follower side); `reassign status` removes it once the plan is done.",
        };
        var command = new Command("execute", "Start the reassignments of a plan (AlterPartitionReassignments).") { plan, throttle };
        runner.Bind(command, async (ctx, ct) =>
        {
            var rate = ctx.Parse.GetValue(throttle);
            if (rate is <= 0)
                throw new CommandException($"--throttle must be a positive rate in bytes/s, not {rate}.");
            var parsed = ReassignmentPlan.Load(ctx.Value(plan));
            await using var admin = await ctx.ConnectAsync(ct);
            var current = await CurrentReplicasAsync(admin, parsed, ct);
            if (rate is { } r)
                await Throttles.SetAsync(admin, parsed, current, r, ct);
            var targets = parsed.Partitions.ToDictionary(p => p.Partition, p => (IReadOnlyList<int>?)p.Replicas);
            var results = (await admin.AlterPartitionReassignmentsAsync(targets, timeout: ctx.Timeout, cancellationToken: ct)).ToDictionary(x => x.Partition);
            var rows = parsed.Partitions.Select(p => new ReassignExecuteRow(p.Partition.Topic, p.Partition.Partition,
                current.GetValueOrDefault(p.Partition) ?? [], p.Replicas,
                results[p.Partition].Error is { } e ? e.Code.ToString() : "started", results[p.Partition].Error?.Message)).ToList();
            ctx.Write(new ReassignExecuteResult(rate, rows), ReassignViews.WriteExecute);
            return rows.Any(x => x.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status(CommandRunner runner)
    {
        var plan = PlanOption(required: true);
        var watch = new Option<bool>("--watch") { Description = "Poll until every partition of the plan is done, printing progress (partitions, bytes and records left, rate, ETA)." };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls with --watch.", DefaultValueFactory = _ => 2 };
        var preserve = new Option<bool>("--preserve-throttles") { Description = "Keep the throttles when the plan is done." };
        var command = new Command("status", "Per partition: in progress, done or not matching the plan; removes the throttles once all are done (like --verify).")
        {
            plan, watch, interval, preserve,
        };
        runner.Bind(command, async (ctx, ct) =>
        {
            var parsed = ReassignmentPlan.Load(ctx.Value(plan));
            await using var admin = await ctx.ConnectAsync(ct);
            var progress = new ReassignProgress();
            var status = await ReassignStatus.ReadAsync(admin, parsed, progress, ct);
            while (ctx.Value(watch) && status.InProgress > 0)
            {
                ctx.Note(ReassignViews.ProgressLine(status));
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.1, ctx.Value(interval))), ct);
                status = await ReassignStatus.ReadAsync(admin, parsed, progress, ct);
            }
            if (status.InProgress == 0 && status.Partitions.All(p => p.State == ReassignStatus.Done) && !ctx.Value(preserve))
            {
                await Throttles.RemoveAsync(admin, parsed.Partitions.Select(p => p.Partition.Topic), ct);
                status = status with { ThrottlesRemoved = true };
            }
            ctx.Write(status, ReassignViews.WriteStatus);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel(CommandRunner runner)
    {
        var plan = PlanOption(required: false);
        var preserve = new Option<bool>("--preserve-throttles") { Description = "Keep the throttles." };
        var command = new Command("cancel", "Cancel the ongoing reassignments of a plan (or all of them without --plan): the replicas being added are dropped.")
        {
            plan, preserve,
        };
        runner.Bind(command, async (ctx, ct) =>
        {
            var path = ctx.Parse.GetValue(plan);
            var parsed = path is null ? null : ReassignmentPlan.Load(path);
            await using var admin = await ctx.ConnectAsync(ct);
            var ongoing = await admin.ListPartitionReassignmentsAsync(parsed?.Partitions.Select(p => p.Partition), ctx.Timeout, ct);
            var rows = new List<ReassignExecuteRow>();
            if (ongoing.Count > 0)
            {
                var results = await admin.AlterPartitionReassignmentsAsync(ongoing.ToDictionary(o => o.Partition, _ => (IReadOnlyList<int>?)null),
                    timeout: ctx.Timeout, cancellationToken: ct);
                foreach (var (o, r) in ongoing.Zip(results))
                {
                    rows.Add(new ReassignExecuteRow(o.Partition.Topic, o.Partition.Partition, o.Replicas,
                        [.. o.Replicas.Except(o.AddingReplicas)], r.Error is { } e ? e.Code.ToString() : "cancelled", r.Error?.Message));
                }
            }
            if (!ctx.Value(preserve) && (parsed is not null || rows.Count > 0))
                await Throttles.RemoveAsync(admin, (parsed?.Partitions.Select(p => p.Partition.Topic) ?? []).Concat(rows.Select(r => r.Topic)), ct);
            ctx.Write(new ReassignExecuteResult(null, rows), ReassignViews.WriteCancel);
            return rows.Any(x => x.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The replicas of each partition of the plan now (empty for an unknown topic or partition).</summary>
    internal static async Task<Dictionary<TopicPartition, IReadOnlyList<int>>> CurrentReplicasAsync(KafkaAdminClient admin, ReassignmentPlan plan, CancellationToken ct)
    {
        var result = new Dictionary<TopicPartition, IReadOnlyList<int>>();
        var topics = await admin.DescribeTopicsAsync(plan.Partitions.Select(p => p.Partition.Topic).Distinct(StringComparer.Ordinal), ct);
        foreach (var t in topics.Where(t => t.Succeeded))
        {
            foreach (var p in t.Partitions)
                result[new TopicPartition(t.Name, p.Partition)] = p.Replicas;
        }
        return result;
    }
}
