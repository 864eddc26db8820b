using System.Globalization;

namespace KafkaOperator.Server.Config;

public enum ConfigType
{
    Boolean,
    Int,
    Short,
    Long,
    Double,
    String,
    List,
    Class,
    Password,

    /// <summary>A broker key this broker does not define (kept for plugins, as Kafka does); DescribeConfigs type 0.</summary>
    Unknown,
}

/// <summary>
/// One configuration key as Kafka defines it: type, default (as Kafka prints it) and a validator. Values are kept
/// as strings everywhere (that is how they travel in DescribeConfigs/AlterConfigs); <see cref="Validate"/> parses
/// once to reject bad values with Kafka's kind of message.
/// </summary>
public sealed class ConfigKey
{
    public ConfigKey(string name, ConfigType type, string? defaultValue)
    {
        Name = name;
        Type = type;
        DefaultValue = defaultValue;
    }

    public string Name { get; }
    public ConfigType Type { get; }

    /// <summary>The default as Kafka reports it; null when Kafka has no default (value derived elsewhere).</summary>
    public string? DefaultValue { get; }

    public double? Min { get; init; }
    public double? Max { get; init; }
    public IReadOnlyList<string>? ValidValues { get; init; }

    /// <summary>For list types: every element must be one of <see cref="ValidValues"/>.</summary>
    public bool ListOfValidValues { get; init; }

    public bool Sensitive => Type == ConfigType.Password;

    /// <summary>Broker configs only: whether AlterConfigs may change it at runtime (read-only otherwise).</summary>
    public bool Dynamic { get; init; }

    /// <summary>
    /// A further check on a value that passed the type check (a class name that must exist, a pattern that must
    /// compile): returns null when acceptable, otherwise why not.
    /// </summary>
    public Func<string, string?>? Check { get; init; }

    /// <summary>Returns null when the value is acceptable, otherwise a message naming the key and value.</summary>
    public string? Validate(string? value)
    {
        if (ValidateType(value) is { } error)
            return error;
        return value is not null && Check?.Invoke(value.Trim()) is { } why ? Bad(value, why) : null;
    }

    private string? ValidateType(string? value)
    {
        if (value is null)
            return DefaultValue is null || Type is ConfigType.String or ConfigType.Password or ConfigType.List or ConfigType.Class
                ? null
                : $"Invalid value null for configuration {Name}: a value is required";
        var trimmed = value.Trim();
        switch (Type)
        {
            case ConfigType.Boolean:
                if (!trimmed.Equals("true", StringComparison.OrdinalIgnoreCase) && !trimmed.Equals("false", StringComparison.OrdinalIgnoreCase))
                    return Bad(value, "Expected value to be either true or false");
                return null;
            case ConfigType.Int:
                if (!int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
                    return Bad(value, "Not a number of type INT");
                return CheckRange(value, i);
            case ConfigType.Short:
                if (!short.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
                    return Bad(value, "Not a number of type SHORT");
                return CheckRange(value, s);
            case ConfigType.Long:
                if (!long.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                    return Bad(value, "Not a number of type LONG");
                return CheckRange(value, l);
            case ConfigType.Double:
                if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    return Bad(value, "Not a number of type DOUBLE");
                return CheckRange(value, d);
            case ConfigType.List:
                if (ValidValues is not null && ListOfValidValues)
                {
                    foreach (var item in SplitList(trimmed))
                    {
                        if (!ValidValues.Contains(item, StringComparer.Ordinal))
                            return Bad(value, $"String must be one of: {string.Join(", ", ValidValues)}");
                    }
                }
                return null;
            default:
                if (ValidValues is not null && !ValidValues.Contains(trimmed, StringComparer.Ordinal))
                    return Bad(value, $"String must be one of: {string.Join(", ", ValidValues)}");
                return null;
        }
    }

    public static IReadOnlyList<string> SplitList(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return [];
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts;
    }

    private string? CheckRange(string value, double n)
    {
        if (Min is { } min && n < min)
            return Bad(value, $"Value must be at least {min.ToString(CultureInfo.InvariantCulture)}");
        if (Max is { } max && n > max)
            return Bad(value, $"Value must be no more than {max.ToString(CultureInfo.InvariantCulture)}");
        return null;
    }

    private string Bad(string value, string why) => $"Invalid value {value} for configuration {Name}: {why}";
}
