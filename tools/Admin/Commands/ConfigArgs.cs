namespace KafkaOperator.Admin.Commands;

/// <summary>Parses repeated "key=value" arguments (the value may itself contain '=').</summary>
public static class ConfigArgs
{
    public static Dictionary<string, string> ParsePairs(IEnumerable<string>? values, string optionName)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CommandException($"{optionName} expects key=value, got '{value}'.");
            }

            var key = value[..eq].Trim();
            if (!result.TryAdd(key, value[(eq + 1)..]))
            {
                throw new CommandException($"{optionName} sets '{key}' more than once.");
            }
        }

        return result;
    }
}
