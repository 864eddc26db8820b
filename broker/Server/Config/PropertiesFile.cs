using System.Text;

namespace KafkaOperator.Server.Config;

/// <summary>
/// Parses Java <c>.properties</c> syntax (what Kafka's server.properties uses): '#' and '!' comments, '=' / ':' /
/// whitespace separators, backslash line continuations and escapes including \uXXXX.
/// </summary>
public static class PropertiesFile
{
    public static Dictionary<string, string> Load(string path) => Parse(File.ReadAllText(path));

    public static Dictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var logical = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart(' ', '\t', '\f');
            if (logical.Length == 0 && (line.Length == 0 || line[0] == '#' || line[0] == '!'))
                continue;
            if (EndsWithContinuation(line))
            {
                logical.Append(line, 0, line.Length - 1);
                continue;
            }
            logical.Append(line);
            var (key, value) = SplitKeyValue(logical.ToString());
            logical.Clear();
            result[key] = value;
        }
        if (logical.Length > 0)
        {
            var (key, value) = SplitKeyValue(logical.ToString());
            result[key] = value;
        }
        return result;
    }

    private static bool EndsWithContinuation(string line)
    {
        var backslashes = 0;
        for (var i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
            backslashes++;
        return backslashes % 2 == 1;
    }

    private static (string Key, string Value) SplitKeyValue(string line)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }
            if (c is '=' or ':' or ' ' or '\t' or '\f')
                break;
            i++;
        }
        var key = Unescape(line[..Math.Min(i, line.Length)]);
        while (i < line.Length && line[i] is ' ' or '\t' or '\f')
            i++;
        if (i < line.Length && line[i] is '=' or ':')
            i++;
        while (i < line.Length && line[i] is ' ' or '\t' or '\f')
            i++;
        return (key, Unescape(i < line.Length ? line[i..] : ""));
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
            return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            var n = s[++i];
            switch (n)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length && int.TryParse(s.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out var code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(n); break;
            }
        }
        return sb.ToString();
    }
}
