using System.Text.Json.Nodes;

namespace KafkaOperator.Kube.Testing;

/// <summary>
/// The label selector grammar of the API: "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a",
/// comma-separated requirements all of which must hold.
/// </summary>
public sealed class LabelSelectorMatcher
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    private LabelSelectorMatcher()
    {
    }

    public static LabelSelectorMatcher Everything { get; } = new();

    public static LabelSelectorMatcher Parse(string? selector)
    {
        var matcher = new LabelSelectorMatcher();
        if (string.IsNullOrWhiteSpace(selector))
        {
            return matcher;
        }
        foreach (var raw in SplitTopLevel(selector))
        {
            matcher._requirements.Add(ParseRequirement(raw.Trim(), selector));
        }
        return matcher;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.TrueForAll(r => r(labels));

    public bool Matches(JsonObject obj)
    {
        var labels = new Dictionary<string, string>();
        if (obj["metadata"]?["labels"] is JsonObject labelObject)
        {
            foreach (var (k, v) in labelObject)
            {
                labels[k] = v?.GetValue<string>() ?? "";
            }
        }
        return Matches(labels);
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(string text, string selector)
    {
        if (text.Length == 0)
        {
            throw new FormatException($"empty requirement in label selector '{selector}'");
        }
        if (text.StartsWith('!'))
        {
            var key = text[1..].Trim();
            return labels => !labels.ContainsKey(key);
        }
        var notEqual = text.IndexOf("!=", StringComparison.Ordinal);
        if (notEqual > 0)
        {
            var key = text[..notEqual].Trim();
            var value = text[(notEqual + 2)..].Trim();
            return labels => !labels.TryGetValue(key, out var v) || v != value;
        }
        var equal = text.IndexOf('=', StringComparison.Ordinal);
        if (equal > 0)
        {
            var key = text[..equal].Trim();
            var value = text[(equal + 1)..].TrimStart('=').Trim();
            return labels => labels.TryGetValue(key, out var v) && v == value;
        }
        var parts = text.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 1)
        {
            var key = parts[0];
            return labels => labels.ContainsKey(key);
        }
        var rest = parts[1];
        var notIn = rest.StartsWith("notin", StringComparison.Ordinal);
        if (!notIn && !rest.StartsWith("in", StringComparison.Ordinal))
        {
            throw new FormatException($"cannot parse '{text}' in label selector '{selector}'");
        }
        var open = rest.IndexOf('(', StringComparison.Ordinal);
        var close = rest.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            throw new FormatException($"missing parentheses in '{text}' of label selector '{selector}'");
        }
        var values = rest[(open + 1)..close].Split(',', StringSplitOptions.TrimEntries).ToHashSet();
        var setKey = parts[0];
        return notIn
            ? labels => !labels.TryGetValue(setKey, out var v) || !values.Contains(v)
            : labels => labels.TryGetValue(setKey, out var v) && values.Contains(v);
    }

    // Commas inside "in (a,b)" do not separate requirements.
    private static List<string> SplitTopLevel(string selector)
    {
        var result = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    result.Add(selector[start..i]);
                    start = i + 1;
                    break;
            }
        }
        result.Add(selector[start..]);
        return result;
    }
}
