using System.CommandLine;
using KafkaOperator.Admin.Commands;

namespace KafkaOperator.Admin;

/// <summary>
/// The kafkactl command tree. Everything it does goes over the Kafka protocol through KafkaOperator.Client, so it
/// works against any Kafka-compatible broker. <see cref="RunAsync"/> is the whole program minus the process: tests
/// call it in-process with their own writers and environment.
/// </summary>
public static class KafkaCtl
{
    public static RootCommand Build(CommandRunner runner, GlobalOptions options)
    {
        var root = new RootCommand("kafkactl: administer topics and consumer groups, and inspect the metadata quorum, of any Kafka-compatible cluster.");
        options.AddTo(root);
        root.Subcommands.Add(TopicCommands.Create(runner));
        root.Subcommands.Add(GroupCommands.Create(runner));
        root.Subcommands.Add(QuorumCommands.Create(runner));
        var reassign = new Command("reassign", "Plan and run partition reassignments (moves of replicas between brokers).");
        reassign.Subcommands.Add(ReassignPlanCommand.Create(runner));
        root.Subcommands.Add(reassign);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, string? bootstrapFromEnvironment,
        CancellationToken cancellationToken = default)
    {
        var options = new GlobalOptions(bootstrapFromEnvironment);
        var runner = new CommandRunner(options, output, error);
        var root = Build(runner, options);
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
        };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
