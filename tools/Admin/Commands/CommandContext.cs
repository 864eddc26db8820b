using System.CommandLine;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>Options every command accepts (anywhere on the line) and the values resolved for one invocation.</summary>
public sealed class GlobalOptions
{
    public const string DefaultBootstrap = "127.0.0.1:9092";
    public const string BootstrapVariable = "KAFKACTL_BOOTSTRAP";

    public GlobalOptions(string? bootstrapFromEnvironment)
    {
        var fallback = string.IsNullOrWhiteSpace(bootstrapFromEnvironment) ? DefaultBootstrap : bootstrapFromEnvironment.Trim();
        Bootstrap = new Option<string>("--bootstrap-server", "-b")
        {
            Description = $"Comma-separated host:port list (default ${BootstrapVariable}, else {DefaultBootstrap}).",
            DefaultValueFactory = _ => fallback,
            Recursive = true,
        };
        Output = new Option<OutputFormat>("--output", "-o")
        {
            Description = "table (default) or json.",
            DefaultValueFactory = _ => OutputFormat.Table,
            Recursive = true,
        };
        Timeout = new Option<int>("--timeout")
        {
            Description = "Request timeout in seconds.",
            DefaultValueFactory = _ => 30,
            Recursive = true,
        };
    }

    public Option<string> Bootstrap { get; }

    public Option<OutputFormat> Output { get; }

    public Option<int> Timeout { get; }

    public void AddTo(Command root)
    {
        root.Options.Add(Bootstrap);
        root.Options.Add(Output);
        root.Options.Add(Timeout);
    }
}

/// <summary>What a command handler needs: where to write, in which format, and a way to reach the cluster.</summary>
public sealed class CommandContext
{
    public CommandContext(ParseResult parse, GlobalOptions options, TextWriter output, TextWriter error)
    {
        Parse = parse;
        Out = output;
        Err = error;
        Format = parse.GetValue(options.Output);
        Bootstrap = parse.GetValue(options.Bootstrap) ?? GlobalOptions.DefaultBootstrap;
        Timeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(options.Timeout)));
    }

    public ParseResult Parse { get; }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public OutputFormat Format { get; }

    public bool Json => Format == OutputFormat.Json;

    public string Bootstrap { get; }

    public TimeSpan Timeout { get; }

    public T Value<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    public async Task<KafkaAdminClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var servers = ParseBootstrap(Bootstrap);
        var options = new KafkaClientOptions
        {
            BootstrapServers = servers,
            ClientId = "kafkactl",
            RequestTimeout = Timeout,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, Timeout.TotalSeconds)),
            // A CLI should fail within seconds when the cluster is down, not after a long retry budget.
            MaxRetries = 3,
        };
        return await KafkaAdminClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a result as the JSON document in json mode, otherwise through its table view.</summary>
    public void Write<T>(T value, Action<TextWriter, T> view)
    {
        if (Json)
        {
            JsonOutput.Write(Out, value);
        }
        else
        {
            view(Out, value);
        }
    }

    /// <summary>Writes a status line for people; in json mode stdout carries only the document, so it goes to stderr.</summary>
    public void Note(string message) => (Json ? Err : Out).WriteLine(message);

    public static IList<string> ParseBootstrap(string value)
    {
        var servers = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (servers.Length == 0)
        {
            throw new CommandException("--bootstrap-server is empty; expected host:port[,host:port...].");
        }

        foreach (var server in servers)
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
            {
                throw new CommandException($"Bootstrap server '{server}' is not host:port.");
            }
        }

        return servers;
    }
}
