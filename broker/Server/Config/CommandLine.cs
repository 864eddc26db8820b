namespace KafkaOperator.Server.Config;

/// <summary>Parses <c>KafkaOperator.Server &lt;server.properties&gt; [--override key=value]...</c>.</summary>
public static class CommandLine
{
    public const string Usage = "usage: KafkaOperator.Server <server.properties> [--override key=value]...";

    public static BrokerConfig Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? path = null;
        var overrides = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--override")
            {
                if (i + 1 >= args.Count)
                    throw new ConfigException("--override needs key=value. " + Usage);
                overrides.Add(ParseOverride(args[++i]));
            }
            else if (arg.StartsWith("--override=", StringComparison.Ordinal))
            {
                overrides.Add(ParseOverride(arg["--override=".Length..]));
            }
            else if (arg.StartsWith('-'))
            {
                throw new ConfigException($"unknown option {arg}. " + Usage);
            }
            else if (path is null)
            {
                path = arg;
            }
            else
            {
                throw new ConfigException($"unexpected argument {arg}. " + Usage);
            }
        }
        if (path is null)
            throw new ConfigException("missing server.properties path. " + Usage);
        if (!File.Exists(path))
            throw new ConfigException($"config file not found: {path}");
        return BrokerConfig.Load(path, overrides);
    }

    private static KeyValuePair<string, string> ParseOverride(string kv)
    {
        var eq = kv.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
            throw new ConfigException($"invalid override '{kv}': expected key=value");
        return new(kv[..eq].Trim(), kv[(eq + 1)..]);
    }
}
