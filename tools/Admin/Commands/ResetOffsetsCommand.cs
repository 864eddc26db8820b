using System.CommandLine;
using System.Globalization;
using KafkaOperator.Admin.Groups;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Commands;

/// <summary>
/// kafkactl groups reset-offsets: plans new committed offsets and, with --execute, commits them as an admin
/// (generation -1, no member id). Kafka accepts such commits only while the group has no members, so an active
/// group is refused up front with a clear message instead of the broker's UnknownMemberId.
/// </summary>
public static class ResetOffsetsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var group = GroupCommands.GroupArgument();
        var topic = new Option<string>("--topic", "-t") { Description = "Topic whose offsets to reset.", Required = true };
        var partition = new Option<int[]>("--partition") { Description = "Only these partitions (repeatable; default all)." };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "Move to the log start offset." };
        var toLatest = new Option<bool>("--to-latest") { Description = "Move to the log end offset." };
        var toOffset = new Option<long?>("--to-offset") { Description = "Move to this offset (clamped to the log's range)." };
        var toDatetime = new Option<string?>("--to-datetime") { Description = "Move to the first offset at or after this ISO-8601 time (UTC unless an offset is given)." };
        var execute = new Option<bool>("--execute") { Description = "Apply the plan; without it this is a dry run." };
        var command = new Command("reset-offsets", "Reset a group's committed offsets (dry run unless --execute).")
        {
            group, topic, partition, toEarliest, toLatest, toOffset, toDatetime, execute,
        };
        runner.Bind(command, async (ctx, ct) =>
        {
            var spec = ParseSpec(ctx.Value(toEarliest), ctx.Value(toLatest), ctx.Parse.GetValue(toOffset), ctx.Parse.GetValue(toDatetime));
            var groupId = ctx.Value(group);
            var topicName = ctx.Value(topic);
            var apply = ctx.Value(execute);
            await using var admin = await ctx.ConnectAsync(ct);

            var description = (await admin.DescribeGroupsAsync([groupId], ct))[0];
            if (description.Error is { } error)
            {
                throw error;
            }

            var active = description.State is not ("Empty" or "Dead");
            if (apply && active)
            {
                throw new CommandException(
                    $"group '{groupId}' is {description.State} with {description.Members.Count} member(s); offsets can only be reset while it has none. Stop its consumers first.",
                    ExitCodes.Failed);
            }

            var partitions = await PartitionsAsync(admin, topicName, ctx.Parse.GetValue(partition), ct);
            var offsets = await CurrentOffsetsAsync(admin, groupId, partitions, spec, ct);
            var plan = OffsetResetPlanner.Plan(spec, offsets);
            var result = new ResetResult(groupId, Describe(spec), apply,
                plan.Select(p => new ResetRow(p.Partition.Topic, p.Partition.Partition, p.CurrentOffset, p.NewOffset)).ToList());

            if (apply)
            {
                var committed = await admin.AlterGroupOffsetsAsync(groupId,
                    plan.ToDictionary(p => p.Partition, p => p.NewOffset), ct);
                var failures = committed.Where(c => !c.Succeeded).ToList();
                if (failures.Count > 0)
                {
                    var refused = failures.Any(f => f.Error!.Code is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress);
                    throw new CommandException(refused
                        ? $"the broker refused the reset because group '{groupId}' became active; stop its consumers and retry"
                        : string.Join("; ", failures.Select(f => f.Error!.Message)), ExitCodes.Failed);
                }
            }

            ctx.Write(result, GroupViews.WriteReset);

            if (!apply)
            {
                ctx.Note(active
                    ? $"Dry run: nothing changed. Note: group '{groupId}' is {description.State}; --execute requires it to have no members."
                    : "Dry run: nothing changed. Add --execute to commit these offsets.");
            }
            else
            {
                ctx.Note($"Committed {plan.Count} offset(s) for group '{groupId}'.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static ResetSpec ParseSpec(bool earliest, bool latest, long? offset, string? datetime)
    {
        var chosen = (earliest ? 1 : 0) + (latest ? 1 : 0) + (offset is null ? 0 : 1) + (datetime is null ? 0 : 1);
        if (chosen != 1)
        {
            throw new CommandException("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO8601.");
        }

        if (earliest)
        {
            return new ResetSpec(ResetStrategy.Earliest);
        }

        if (latest)
        {
            return new ResetSpec(ResetStrategy.Latest);
        }

        if (offset is { } o)
        {
            return o >= 0 ? new ResetSpec(ResetStrategy.Offset, o) : throw new CommandException("--to-offset must be >= 0.");
        }

        return new ResetSpec(ResetStrategy.Datetime, ParseDatetime(datetime!).ToUnixTimeMilliseconds());
    }

    public static DateTimeOffset ParseDatetime(string value)
    {
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            || !value.Contains('T', StringComparison.Ordinal) && !value.Contains('-', StringComparison.Ordinal))
        {
            throw new CommandException($"--to-datetime '{value}' is not an ISO-8601 date-time (e.g. 2024-05-01T12:00:00Z).");
        }

        return parsed;
    }

    private static string Describe(ResetSpec spec) => spec.Strategy switch
    {
        ResetStrategy.Offset => $"to-offset {spec.Value}",
        ResetStrategy.Datetime => $"to-datetime {DateTimeOffset.FromUnixTimeMilliseconds(spec.Value):yyyy-MM-ddTHH:mm:ss.fffZ}",
        _ => $"to-{spec.Strategy.ToString().ToLowerInvariant()}",
    };

    private static async Task<List<TopicPartition>> PartitionsAsync(KafkaAdminClient admin, string topic, int[]? only, CancellationToken ct)
    {
        var description = await admin.DescribeTopicAsync(topic, ct);
        if (description.Error is { } error)
        {
            throw error.Code == ErrorCode.UnknownTopicOrPartition
                ? new CommandException($"topic '{topic}' does not exist.", ExitCodes.Failed)
                : error;
        }

        var all = description.Partitions.Select(p => p.Partition).ToHashSet();
        if (only is { Length: > 0 } && only.FirstOrDefault(p => !all.Contains(p), -1) is var missing && missing >= 0)
        {
            throw new CommandException($"topic '{topic}' has no partition {missing} (it has {all.Count}).");
        }

        return (only is { Length: > 0 } ? only.Distinct() : all).Order().Select(p => new TopicPartition(topic, p)).ToList();
    }

    private static async Task<List<PartitionOffsets>> CurrentOffsetsAsync(KafkaAdminClient admin, string groupId,
        List<TopicPartition> partitions, ResetSpec spec, CancellationToken ct)
    {
        var committed = (await admin.ListGroupOffsetsAsync(groupId, partitions, ct))
            .Where(c => c.Succeeded && c.Offset >= 0).ToDictionary(c => c.Partition, c => c.Offset);
        var earliest = Succeeded(await admin.ListOffsetsAsync(partitions, OffsetSpec.Earliest, ct));
        var latest = Succeeded(await admin.ListOffsetsAsync(partitions, OffsetSpec.Latest, ct));
        var forTime = spec.Strategy == ResetStrategy.Datetime
            ? Succeeded(await admin.ListOffsetsAsync(partitions, spec.Value, ct))
            : [];
        return partitions.Select(p => new PartitionOffsets(p,
            committed.TryGetValue(p, out var c) ? c : null,
            earliest[p], latest[p], forTime.TryGetValue(p, out var t) ? t : -1)).ToList();
    }

    private static Dictionary<TopicPartition, long> Succeeded(IReadOnlyList<PartitionOffset> offsets)
    {
        if (offsets.FirstOrDefault(o => !o.Succeeded) is { } failed)
        {
            throw failed.Error!;
        }

        return offsets.ToDictionary(o => o.Partition, o => o.Offset);
    }
}
