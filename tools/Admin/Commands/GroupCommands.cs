using System.CommandLine;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Commands;

/// <summary>kafkactl groups list|describe|reset-offsets|delete.</summary>
public static class GroupCommands
{
    public static Command Create(CommandRunner runner)
    {
        var groups = new Command("groups", "List, describe, reset and delete consumer groups.");
        groups.Subcommands.Add(List(runner));
        groups.Subcommands.Add(Describe(runner));
        groups.Subcommands.Add(ResetOffsetsCommand.Create(runner));
        groups.Subcommands.Add(Delete(runner));
        return groups;
    }

    internal static Argument<string> GroupArgument() => new("group") { Description = "Group id." };

    private static Command List(CommandRunner runner)
    {
        var command = new Command("list", "List groups on every broker.");
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            var rows = (await admin.ListGroupsAsync(ct))
                .Select(g => new GroupRow(g.GroupId, g.State, g.ProtocolType, g.CoordinatorId)).ToList();
            ctx.Write(rows, GroupViews.WriteList);

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Describe(CommandRunner runner)
    {
        var group = GroupArgument();
        var command = new Command("describe", "State, members with assignments, committed offsets, log end offsets and lag.") { group };
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            var detail = await DescribeAsync(admin, ctx.Value(group), ct);
            ctx.Write(detail, GroupViews.WriteDetail);

            return ExitCodes.Ok;
        });
        return command;
    }

    public static async Task<GroupDetail> DescribeAsync(KafkaAdminClient admin, string groupId, CancellationToken ct)
    {
        var description = (await admin.DescribeGroupsAsync([groupId], ct))[0];
        if (description.Error is { } error)
        {
            throw error;
        }

        var committed = await admin.ListGroupOffsetsAsync(groupId, cancellationToken: ct);
        if (description.State == "Dead" && !committed.Any(c => c.Offset >= 0))
        {
            throw new KafkaException(ErrorCode.GroupIdNotFound, $"group '{groupId}' does not exist");
        }

        var members = description.Members.Select(m => GroupViews.Member(m, description.ProtocolType)).ToList();
        var partitions = committed.Where(c => c.Offset >= 0).Select(c => c.Partition)
            .Concat(members.SelectMany(m => (m.Assignment ?? []).SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p)))))
            .Distinct()
            .ToList();
        var logEnd = new Dictionary<TopicPartition, long>();
        if (partitions.Count > 0)
        {
            // read_uncommitted (the request's default isolation level): lag counts every appended record.
            foreach (var offset in await admin.ListOffsetsAsync(partitions, OffsetSpec.Latest, ct))
            {
                if (offset.Succeeded)
                {
                    logEnd[offset.Partition] = offset.Offset;
                }
            }
        }

        var lags = GroupViews.Lags(committed, logEnd, members);
        return new GroupDetail(groupId, description.State, description.ProtocolType, description.Protocol,
            description.CoordinatorId >= 0 ? description.CoordinatorId.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, members, lags);
    }

    private static Command Delete(CommandRunner runner)
    {
        var group = GroupArgument();
        var command = new Command("delete", "Delete a group and its committed offsets (only when it has no members).") { group };
        runner.Bind(command, async (ctx, ct) =>
        {
            var groupId = ctx.Value(group);
            await using var admin = await ctx.ConnectAsync(ct);
            var result = (await admin.DeleteGroupsAsync([groupId], ct))[0];
            var message = result.Error?.Code switch
            {
                ErrorCode.NonEmptyGroup => $"group '{groupId}' still has members; stop its consumers first",
                ErrorCode.GroupIdNotFound => $"group '{groupId}' does not exist",
                _ => result.Error?.Message,
            };
            var operation = new GroupOperation(groupId, "delete", result.Succeeded, message);
            if (ctx.Json)
            {
                JsonOutput.Write(ctx.Out, operation);
            }
            else if (result.Succeeded)
            {
                ctx.Out.WriteLine($"Deleted group {groupId}.");
            }

            if (!result.Succeeded)
            {
                ctx.Err.WriteLine($"error: delete {groupId}: {message}");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
