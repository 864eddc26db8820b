using System.CommandLine;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>
/// kafkactl quorum describe / add-voter / remove-voter: the KRaft metadata quorum (DescribeQuorum, AddRaftVoter,
/// RemoveRaftVoter), like kafka-metadata-quorum.sh describe / add-controller / remove-controller.
/// </summary>
public static class QuorumCommands
{
    public static Command Create(CommandRunner runner)
    {
        var quorum = new Command("quorum", "Inspect the metadata quorum (KRaft controllers).");
        quorum.Subcommands.Add(Describe(runner));
        quorum.Subcommands.Add(AddVoter(runner));
        quorum.Subcommands.Add(RemoveVoter(runner));
        return quorum;
    }

    private static Command AddVoter(CommandRunner runner)
    {
        var id = new Argument<int>("id") { Description = "The node id to make a voter; it must follow the metadata log as a caught-up observer." };
        var endpoint = new Option<string>("--endpoint") { Description = "host:port of the node's quorum (CONTROLLER) listener.", Required = true };
        var listener = new Option<string>("--listener") { Description = "The listener's name.", DefaultValueFactory = _ => "CONTROLLER" };
        var command = new Command("add-voter", "Make an observer a voter (AddRaftVoter); answered once the new voter set is committed.") { id, endpoint, listener };
        runner.Bind(command, async (ctx, ct) =>
        {
            var (host, port) = ParseEndpoint(ctx.Parse.GetValue(endpoint) ?? "");
            await using var admin = await ctx.ConnectAsync(ct);
            await admin.AddRaftVoterAsync(ctx.Parse.GetValue(id), host, port, ctx.Parse.GetValue(listener) ?? "CONTROLLER", ctx.Timeout, ct);
            ctx.Note($"Node {ctx.Parse.GetValue(id)} is a voter.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RemoveVoter(CommandRunner runner)
    {
        var id = new Argument<int>("id") { Description = "The voter to remove; a removed leader hands over once the change is committed." };
        var command = new Command("remove-voter", "Take a voter out of the voter set (RemoveRaftVoter); it follows the log as an observer afterwards.") { id };
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            await admin.RemoveRaftVoterAsync(ctx.Parse.GetValue(id), ct);
            ctx.Note($"Node {ctx.Parse.GetValue(id)} is no longer a voter.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"host:port" or "[v6]:port".</summary>
    public static (string Host, int Port) ParseEndpoint(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
            throw new CommandException($"--endpoint must be host:port, not '{value}'.");
        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return (host, port);
    }

    private static Command Describe(CommandRunner runner)
    {
        var command = new Command("describe", "Leader, epoch, high watermark and every voter's log end offset, lag and last fetch.");
        runner.Bind(command, async (ctx, ct) =>
        {
            await using var admin = await ctx.ConnectAsync(ct);
            var description = await admin.DescribeQuorumAsync(ct);
            ctx.Write(QuorumViews.Detail(description, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), QuorumViews.WriteDetail);

            return ExitCodes.Ok;
        });
        return command;
    }
}
