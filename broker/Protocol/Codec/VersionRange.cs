using System.Globalization;

namespace KafkaOperator.Protocol.Codec;

/// <summary>A version range in the spec's notation: "0+", "3-7", "5", "none".</summary>
public readonly record struct VersionRange(short Min, short Max)
{
    public static readonly VersionRange None = new(1, 0);

    public bool IsEmpty => Min > Max;

    public bool Contains(short version) => version >= Min && version <= Max;

    public static VersionRange Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "none")
        {
            return None;
        }

        text = text.Trim();
        if (text.EndsWith('+'))
        {
            return new VersionRange(ParseShort(text[..^1]), short.MaxValue);
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new VersionRange(ParseShort(text[..dash]), ParseShort(text[(dash + 1)..]));
        }

        var single = ParseShort(text);
        return new VersionRange(single, single);
    }

    private static short ParseShort(string text) =>
        short.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Bad version range '{text}'.");
}
