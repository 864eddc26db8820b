using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KafkaOperator.Operator.Yaml;

/// <summary>
/// Writes a JSON tree as block-style YAML (the subset kubectl and kustomize read). Deterministic: key order is the
/// JSON order, so generated files are stable and diffable. Strings that could be read back as another type are quoted.
/// </summary>
public static partial class YamlWriter
{
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        if (node is JsonObject obj && obj.Count > 0)
        {
            WriteObject(sb, obj, 0);
        }
        else if (node is JsonArray arr && arr.Count > 0)
        {
            WriteArray(sb, arr, 0);
        }
        else
        {
            sb.Append(Scalar(node, 0)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Several documents separated by "---".</summary>
    public static string WriteAll(IEnumerable<JsonNode> documents) => string.Join("---\n", documents.Select(Write));

    private static void WriteObject(StringBuilder sb, JsonObject obj, int indent, bool continuesLine = false)
    {
        var first = true;
        foreach (var (key, value) in obj)
        {
            // The first key of a list item continues the "- " line.
            if (!(first && continuesLine))
            {
                sb.Append(' ', indent);
            }
            first = false;
            sb.Append(Key(key)).Append(':');
            WriteValue(sb, value, indent, inList: false);
        }
    }

    private static void WriteArray(StringBuilder sb, JsonArray arr, int indent)
    {
        foreach (var item in arr)
        {
            sb.Append(' ', indent).Append('-');
            WriteValue(sb, item, indent, inList: true);
        }
    }

    private static void WriteValue(StringBuilder sb, JsonNode? value, int indent, bool inList)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                if (inList)
                {
                    sb.Append(' ');
                    WriteObject(sb, o, indent + 2, continuesLine: true);
                }
                else
                {
                    sb.Append('\n');
                    WriteObject(sb, o, indent + 2);
                }
                break;
            case JsonArray a when a.Count > 0:
                sb.Append('\n');
                // Kubernetes style: list items of a map key at the key's indentation; nested lists indent.
                WriteArray(sb, a, inList ? indent + 2 : indent);
                break;
            default:
                sb.Append(' ').Append(Scalar(value, indent + 2)).Append('\n');
                break;
        }
    }

    private static string Key(string key) => IsPlain(key) ? key : Quote(key);

    private static string Scalar(JsonNode? node, int indent)
    {
        switch (node)
        {
            case null:
                return "null";
            case JsonObject:
                return "{}";
            case JsonArray:
                return "[]";
        }
        var v = node.AsValue();
        switch (v.GetValueKind())
        {
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                return v.ToJsonString();
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                if (s.Contains('\n') && CanBlock(s))
                {
                    var chomp = s.EndsWith('\n') ? "|" : "|-";
                    var body = s.EndsWith('\n') ? s[..^1] : s;
                    var pad = new string(' ', indent);
                    return chomp + "\n" + string.Join("\n", body.Split('\n').Select(l => l.Length == 0 ? "" : pad + l));
                }
                return IsPlain(s) ? s : Quote(s);
            default:
                return v.ToJsonString();
        }
    }

    // Block literals cannot start with a space, keep trailing spaces reliably, or end with several newlines.
    private static bool CanBlock(string s) =>
        !s.StartsWith(' ') && !s.EndsWith("\n\n", StringComparison.Ordinal) && !s.Contains(" \n", StringComparison.Ordinal)
        && !s.Contains('\t') && !s.Contains('\r');

    private static bool IsPlain(string s)
    {
        if (s.Length == 0 || !PlainRegex().IsMatch(s) || s.EndsWith(':') || s.Contains(": ", StringComparison.Ordinal)
            || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(' '))
        {
            return false;
        }
        var lower = s.ToLowerInvariant();
        if (lower is "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or "null" or "~" or ".inf" or ".nan")
        {
            return false;
        }
        // Anything that parses as a number must stay a string.
        return !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && !s.StartsWith("0o", StringComparison.OrdinalIgnoreCase) && !TimestampRegex().IsMatch(s);
    }

    // JSON string escaping is valid YAML double-quoted style.
    private static string Quote(string s) => JsonSerializer.Serialize(s, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"^[A-Za-z0-9_/.$(][A-Za-z0-9 _./:=@,()\[\]$?*!+<>^&|%\\-]*$")]
    private static partial Regex PlainRegex();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}")]
    private static partial Regex TimestampRegex();
}
