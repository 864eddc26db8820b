using System.Text.RegularExpressions;

namespace KafkaOperator.Server.Tests.Monitoring;

/// <summary>
/// The metric names a PromQL expression selects, found by a small tokenizer rather than a full parser: label
/// matchers, ranges, strings, numbers, durations, Grafana variables, function calls and the label lists of
/// by/without/on/ignoring/group_left/group_right are skipped; every other identifier is a metric name. Also linked
/// into Operator.Tests, which checks the operator's names.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
        // Aggregation operators, which may be followed by `by (...)` instead of their parenthesis.
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
        "limitk", "limit_ratio",
    };

    public static SortedSet<string> MetricNames(string expr)
    {
        ArgumentNullException.ThrowIfNull(expr);
        // A Grafana variable query: label_values(<selector>, <label>) names metrics only in its selector.
        if (LabelValues().Match(expr) is { Success: true } lv)
            return lv.Groups["selector"].Success ? MetricNames(lv.Groups["selector"].Value) : [];

        var names = new SortedSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < expr.Length)
        {
            var c = expr[i];
            if (c is '"' or '\'' or '`')
                i = SkipString(expr, i);
            else if (c == '{')
                i = SkipBlock(expr, i, '{', '}');
            else if (c == '[')
                i = SkipBlock(expr, i, '[', ']');
            else if (c == '#')
                i = expr.IndexOf('\n', i) is var nl and >= 0 ? nl : expr.Length;
            else if (c == '$')
                i = SkipWhile(expr, i + 1, ch => char.IsLetterOrDigit(ch) || ch is '_' or '{' or '}');
            else if (char.IsDigit(c) || (c == '.' && i + 1 < expr.Length && char.IsDigit(expr[i + 1])))
                i = SkipWhile(expr, i, ch => char.IsLetterOrDigit(ch) || ch == '.'); // 0.99, 5m, 1e3, 0x1f
            else if (char.IsLetter(c) || c is '_' or ':')
            {
                var end = SkipWhile(expr, i, ch => char.IsLetterOrDigit(ch) || ch is '_' or ':');
                var ident = expr[i..end];
                var next = SkipWhile(expr, end, char.IsWhiteSpace);
                var call = next < expr.Length && expr[next] == '(';
                if (LabelListKeywords.Contains(ident))
                    i = call ? SkipBlock(expr, next, '(', ')') : end;
                else
                {
                    if (!call && !Keywords.Contains(ident))
                        names.Add(ident);
                    i = end;
                }
            }
            else
                i++;
        }
        return names;
    }

    private static int SkipWhile(string s, int i, Func<char, bool> predicate)
    {
        while (i < s.Length && predicate(s[i]))
            i++;
        return i;
    }

    private static int SkipString(string s, int i)
    {
        var quote = s[i++];
        while (i < s.Length && s[i] != quote)
            i += s[i] == '\\' && quote != '`' ? 2 : 1;
        return Math.Min(i + 1, s.Length);
    }

    private static int SkipBlock(string s, int i, char open, char close)
    {
        var depth = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '"' or '\'' or '`')
            {
                i = SkipString(s, i);
                continue;
            }
            if (c == open)
                depth++;
            else if (c == close && --depth == 0)
                return i + 1;
            i++;
        }
        throw new FormatException($"unbalanced '{open}' in: {s}");
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?:(?<selector>.+),)?\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValues();
}
