using System.CommandLine;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>kafkactl quorum describe: the KRaft metadata quorum (DescribeQuorum), like kafka-metadata-quorum.sh describe.</summary>
public static class QuorumCommands
{
    public static Command Create(CommandRunner runner)
    {
        var quorum = new Command("quorum", "Inspect the metadata quorum (KRaft controllers).");
        quorum.Subcommands.Add(Describe(runner));
        return quorum;
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
