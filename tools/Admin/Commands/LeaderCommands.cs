using System.CommandLine;
using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Commands;

/// <summary>kafkactl leaders elect: preferred or unclean leader elections (ElectLeaders), like kafka-leader-election.sh.</summary>
public static class LeaderCommands
{
    public static Command Create(CommandRunner runner)
    {
        var leaders = new Command("leaders", "Partition leadership: elect preferred or unclean leaders.");
        leaders.Subcommands.Add(Elect(runner));
        return leaders;
    }

    private static Command Elect(CommandRunner runner)
    {
        var preferred = new Option<bool>("--preferred") { Description = "Move leadership to each partition's preferred (first) replica, where it is alive and in sync." };
        var unclean = new Option<bool>("--unclean")
        {
            Description = "Give leaderless partitions a leader, out of sync if no in-sync replica is alive (records may be lost).",
        };
        var partitions = new Argument<string[]>("partitions")
        {
            Description = "topic (every partition of it) or topic:partition; none: every partition of the cluster.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("elect", "Elect leaders (ElectLeaders): per partition elected, not needed, or why not.") { preferred, unclean, partitions };
        runner.Bind(command, async (ctx, ct) =>
        {
            var type = (ctx.Value(preferred), ctx.Value(unclean)) switch
            {
                (true, false) => ElectionType.Preferred,
                (false, true) => ElectionType.Unclean,
                (true, true) => throw new CommandException("--preferred and --unclean cannot be combined."),
                _ => throw new CommandException("give the election type: --preferred or --unclean."),
            };
            var targets = ParseTargets(ctx.Parse.GetValue(partitions) ?? []);
            await using var admin = await ctx.ConnectAsync(ct);
            var selected = await ExpandAsync(admin, targets, ct);
            var results = await admin.ElectLeadersAsync(type, selected, ctx.Timeout, ct);
            var report = LeaderViews.Report(type, results);
            ctx.Write(report, LeaderViews.WriteElection);
            return report.Failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"orders" → (orders, null); "orders:3" → (orders, 3). Kafka topic names cannot contain ':'.</summary>
    public static IReadOnlyList<(string Topic, int? Partition)> ParseTargets(IEnumerable<string> args)
    {
        var targets = new List<(string, int?)>();
        foreach (var arg in args)
        {
            var colon = arg.LastIndexOf(':');
            if (colon < 0)
            {
                targets.Add((arg, null));
                continue;
            }

            if (colon == 0 || !int.TryParse(arg.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
            {
                throw new CommandException($"'{arg}' is not topic or topic:partition (partition a number ≥ 0).");
            }

            targets.Add((arg[..colon], partition));
        }

        return targets;
    }

    /// <summary>The partitions to elect: null for the whole cluster, a topic's every partition for a bare topic name.</summary>
    private static async Task<IReadOnlyCollection<TopicPartition>?> ExpandAsync(KafkaAdminClient admin, IReadOnlyList<(string Topic, int? Partition)> targets,
        CancellationToken ct)
    {
        if (targets.Count == 0)
        {
            return null;
        }

        var selected = new List<TopicPartition>();
        foreach (var (topic, partition) in targets)
        {
            if (partition is { } p)
            {
                selected.Add(new TopicPartition(topic, p));
                continue;
            }

            var description = await admin.DescribeTopicAsync(topic, ct);
            if (description.Error is { } error)
            {
                throw error.Code == ErrorCode.UnknownTopicOrPartition ? new KafkaException(error.Code, $"topic '{topic}' does not exist") : error;
            }

            selected.AddRange(description.Partitions.OrderBy(x => x.Partition).Select(x => new TopicPartition(topic, x.Partition)));
        }

        return selected.Distinct().ToList();
    }
}
