using System.CommandLine;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Commands;

/// <summary>kafkactl topics list|describe|create|delete|alter-config|add-partitions|skew.</summary>
public static class TopicCommands
{
    public const string SizesUnavailable =
        "not reported: the broker does not implement DescribeLogDirs, the only Kafka API that reports partition sizes";

    public const string SizesPartial =
        "not reported for some partitions: no leader, or its broker did not answer DescribeLogDirs";

    public static Command Create(CommandRunner runner)
    {
        var topics = new Command("topics", "List, describe, create, delete and configure topics; show their hot keys.");
        topics.Subcommands.Add(List(runner));
        topics.Subcommands.Add(Describe(runner));
        topics.Subcommands.Add(CreateTopic(runner));
        topics.Subcommands.Add(Delete(runner));
        topics.Subcommands.Add(AlterConfig(runner));
        topics.Subcommands.Add(AddPartitions(runner));
        topics.Subcommands.Add(TopicSkewCommand.Create(runner));
        return topics;
    }

    private static Argument<string> TopicArgument() => new("topic") { Description = "Topic name." };

    private static Command List(CommandRunner runner)
    {
        var includeInternal = new Option<bool>("--include-internal") { Description = "Also list internal topics (__consumer_offsets)." };
        var command = new Command("list", "List topics.") { includeInternal };
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            var rows = (await admin.ListTopicsAsync(ctx.Value(includeInternal), ct))
                .Select(t => new TopicRow(t.Name, t.PartitionCount, t.IsInternal, t.TopicId.ToString())).ToList();
            ctx.Write(rows, TopicViews.WriteList);

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Describe(CommandRunner runner)
    {
        var topic = new Argument<string?>("topic")
        {
            Description = "Topic name; optional with --under-replicated or --unavailable (then every topic is checked).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var underReplicated = new Option<bool>("--under-replicated")
        {
            Description = "List only partitions with fewer in-sync replicas than replicas (kafka-topics.sh --under-replicated-partitions).",
        };
        var unavailable = new Option<bool>("--unavailable")
        {
            Description = "List only partitions without a live leader (kafka-topics.sh --unavailable-partitions).",
        };
        var command = new Command("describe", "Partitions with leader, leader epoch, replicas, ISR, offline replicas, log start/end offsets; non-default configs.")
        {
            topic, underReplicated, unavailable,
        };
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Parse.GetValue(topic);
            var filter = Filter(ctx.Value(underReplicated), ctx.Value(unavailable));
            if (filter is null && string.IsNullOrEmpty(name))
            {
                throw new CommandException("give a topic, or --under-replicated / --unavailable to check every topic.");
            }

            await using var admin = await ctx.ConnectAsync(ct);
            if (filter is { } selected)
            {
                var partitions = await SelectAsync(admin, name, selected, ct);
                if (partitions.Count == 0 && !ctx.Json)
                {
                    ctx.Out.WriteLine(selected == PartitionFilter.UnderReplicated ? "No under-replicated partitions." : "No unavailable partitions.");
                }
                else
                {
                    ctx.Write(partitions, TopicViews.WriteHealth);
                }

                return ExitCodes.Ok;
            }

            var detail = await DescribeAsync(admin, name!, ct);
            ctx.Write(detail, TopicViews.WriteDetail);

            return ExitCodes.Ok;
        });
        return command;
    }

    // kafka-topics.sh accepts one report option at a time; so does kafkactl.
    private static PartitionFilter? Filter(bool underReplicated, bool unavailable) => (underReplicated, unavailable) switch
    {
        (true, true) => throw new CommandException("--under-replicated and --unavailable cannot be combined; run one, then the other."),
        (true, false) => PartitionFilter.UnderReplicated,
        (false, true) => PartitionFilter.Unavailable,
        _ => null,
    };

    /// <summary>The partitions of <paramref name="name"/> (every topic, internal ones included, when null) that <paramref name="filter"/> selects.</summary>
    public static async Task<IReadOnlyList<PartitionHealth>> SelectAsync(KafkaAdminClient admin, string? name, PartitionFilter filter, CancellationToken ct)
    {
        IReadOnlyList<TopicDescription> topics;
        if (string.IsNullOrEmpty(name))
        {
            topics = await admin.DescribeAllTopicsAsync(includeInternal: true, ct);
        }
        else
        {
            var description = await admin.DescribeTopicAsync(name, ct);
            ThrowIfFailed(description, name);
            topics = [description];
        }

        // A topic deleted between listing and describing is not a problem of the cluster's.
        var failed = topics.FirstOrDefault(t => t.Error is { } e && e.Code != ErrorCode.UnknownTopicOrPartition);
        if (failed is not null)
        {
            ThrowIfFailed(failed, failed.Name);
        }

        var live = filter == PartitionFilter.Unavailable
            ? (await admin.DescribeClusterAsync(ct)).Brokers.Select(b => b.NodeId).ToHashSet()
            : [];
        return TopicViews.Select(topics.Where(t => t.Succeeded), filter, live);
    }

    private static void ThrowIfFailed(TopicDescription description, string name)
    {
        if (description.Error is { } error)
        {
            throw error.Code == ErrorCode.UnknownTopicOrPartition
                ? new KafkaException(error.Code, $"topic '{name}' does not exist")
                : error;
        }
    }

    public static async Task<TopicDetail> DescribeAsync(KafkaAdminClient admin, string name, CancellationToken ct)
    {
        var description = await admin.DescribeTopicAsync(name, ct);
        ThrowIfFailed(description, name);

        var partitions = description.Partitions.Select(p => new TopicPartition(name, p.Partition)).ToList();
        var earliest = await admin.ListOffsetsAsync(partitions, OffsetSpec.Earliest, ct);
        var latest = await admin.ListOffsetsAsync(partitions, OffsetSpec.Latest, ct);
        var details = description.Partitions.Select((p, i) =>
        {
            var start = earliest[i];
            var end = latest[i];
            var failure = start.Error ?? end.Error ?? (p.Error != ErrorCode.None ? new KafkaException(p.Error) : null);
            return new PartitionDetail(p.Partition, p.LeaderId, p.LeaderEpoch, p.Replicas, p.Isr, p.OfflineReplicas,
                start.Succeeded ? start.Offset : null, end.Succeeded ? end.Offset : null, null, failure?.Message,
                p.LeaderId < 0 ? null : p.Replicas.Count > 0 && p.Replicas[0] == p.LeaderId);
        }).OrderBy(p => p.Partition).ToList();

        var configs = await admin.DescribeTopicConfigsAsync(name, ct);
        var overrides = configs.Succeeded
            ? configs.Entries.Where(e => !e.IsDefault && e.Source == ConfigSource.DynamicTopicConfig)
                .ToDictionary(e => e.Name, e => e.IsSensitive ? "(sensitive)" : e.Value, StringComparer.Ordinal)
            : new Dictionary<string, string?>();

        var connection = await admin.Cluster.GetAnyConnectionAsync(ct);
        if (!connection.SupportsApi(ApiKey.DescribeLogDirs))
        {
            return new TopicDetail(name, description.TopicId.ToString(), description.IsInternal, details, overrides, false, SizesUnavailable);
        }

        // The leader's replica is the partition's size (followers may be behind).
        var leaders = details.Where(p => p.Leader >= 0).Select(p => p.Leader).Distinct().ToList();
        var dirs = await admin.DescribeLogDirsAsync(leaders, partitions, ct);
        var sizes = dirs.SelectMany(d => d.Replicas.Where(r => r.Topic == name && !r.IsFuture).Select(r => (d.BrokerId, r.Partition, r.SizeBytes)))
            .GroupBy(x => (x.BrokerId, x.Partition)).ToDictionary(g => g.Key, g => g.Sum(x => x.SizeBytes));
        details = details.Select(p => p with { SizeBytes = sizes.TryGetValue((p.Leader, p.Partition), out var size) ? size : null }).ToList();
        var complete = details.All(p => p.SizeBytes is not null);
        return new TopicDetail(name, description.TopicId.ToString(), description.IsInternal, details, overrides, complete, complete ? null : SizesPartial);
    }

    private static Command CreateTopic(CommandRunner runner)
    {
        var topic = TopicArgument();
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partition count (default: the broker's num.partitions).", DefaultValueFactory = _ => -1 };
        var replication = new Option<short>("--replication-factor", "-r") { Description = "Replicas per partition (default: the broker's default).", DefaultValueFactory = _ => -1 };
        var config = new Option<string[]>("--config", "-c") { Description = "Topic config key=value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a topic.") { topic, partitions, replication, config };
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Value(topic);
            var count = ctx.Value(partitions);
            var rf = ctx.Value(replication);
            if (count == 0 || count < -1)
            {
                throw new CommandException("--partitions must be at least 1.");
            }

            if (rf == 0 || rf < -1)
            {
                throw new CommandException("--replication-factor must be at least 1.");
            }

            var configs = ConfigArgs.ParsePairs(ctx.Parse.GetValue(config), "--config")
                .ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
            await using var admin = await ctx.ConnectAsync(ct);
            var result = await admin.CreateTopicAsync(name, count, rf, configs, ct);
            return Report(ctx, new TopicOperation(name, "create", result.Succeeded, result.Error?.Message), $"Created topic {name}.");
        });
        return command;
    }

    private static Command Delete(CommandRunner runner)
    {
        var topic = TopicArgument();
        var command = new Command("delete", "Delete a topic and its data.") { topic };
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Value(topic);
            await using var admin = await ctx.ConnectAsync(ct);
            var result = await admin.DeleteTopicAsync(name, ct);
            return Report(ctx, new TopicOperation(name, "delete", result.Succeeded, result.Error?.Message), $"Deleted topic {name}.");
        });
        return command;
    }

    private static Command AlterConfig(CommandRunner runner)
    {
        var topic = TopicArgument();
        var set = new Option<string[]>("--set") { Description = "Set config key=value (repeatable)." };
        var delete = new Option<string[]>("--delete") { Description = "Remove a config override, reverting to the default (repeatable)." };
        var command = new Command("alter-config", "Change individual topic configs (IncrementalAlterConfigs); others are left untouched.")
        {
            topic, set, delete,
        };
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Value(topic);
            var sets = ConfigArgs.ParsePairs(ctx.Parse.GetValue(set), "--set");
            var deletes = (ctx.Parse.GetValue(delete) ?? []).Select(k => k.Trim()).ToList();
            if (sets.Count == 0 && deletes.Count == 0)
            {
                throw new CommandException("nothing to change: give --set key=value and/or --delete key.");
            }

            if (deletes.FirstOrDefault(sets.ContainsKey) is { } both)
            {
                throw new CommandException($"'{both}' is both set and deleted.");
            }

            var alterations = sets.Select(kv => new ConfigAlteration(kv.Key, kv.Value, AlterConfigOp.Set))
                .Concat(deletes.Select(k => new ConfigAlteration(k, null, AlterConfigOp.Delete)))
                .ToList();
            await using var admin = await ctx.ConnectAsync(ct);
            var results = await admin.IncrementalAlterConfigsAsync(
                new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> { [ConfigResource.Topic(name)] = alterations },
                cancellationToken: ct);
            var result = results[0];
            return Report(ctx, new TopicOperation(name, "alter-config", result.Succeeded, result.Error?.Message),
                $"Updated configs of topic {name}: {string.Join(", ", alterations.Select(a => a.Op == AlterConfigOp.Set ? $"{a.Name}={a.Value}" : $"-{a.Name}"))}.");
        });
        return command;
    }

    private static Command AddPartitions(CommandRunner runner)
    {
        var topic = TopicArgument();
        var total = new Option<int>("--partitions", "-p") { Description = "The new total partition count (must exceed the current one).", Required = true };
        var command = new Command("add-partitions", "Raise a topic's partition count.") { topic, total };
        runner.Bind(command, async (ctx, ct) =>
        {
            var name = ctx.Value(topic);
            var count = ctx.Value(total);
            if (count < 1)
            {
                throw new CommandException("--partitions must be at least 1.");
            }

            await using var admin = await ctx.ConnectAsync(ct);
            var results = await admin.CreatePartitionsAsync(new Dictionary<string, int> { [name] = count }, cancellationToken: ct);
            var result = results[0];
            return Report(ctx, new TopicOperation(name, "add-partitions", result.Succeeded, result.Error?.Message),
                $"Topic {name} now has {count} partitions.");
        });
        return command;
    }

    private static int Report(CommandContext ctx, TopicOperation operation, string success)
    {
        if (ctx.Json)
        {
            JsonOutput.Write(ctx.Out, operation);
        }
        else if (operation.Succeeded)
        {
            ctx.Out.WriteLine(success);
        }

        if (!operation.Succeeded)
        {
            ctx.Err.WriteLine($"error: {operation.Operation} {operation.Topic}: {operation.Error}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }
}
