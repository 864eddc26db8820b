using System.Globalization;

namespace KafkaOperator.Server.Config;

/// <summary>A parsed listener: NAME://host:port. An empty host means all interfaces.</summary>
public sealed record Listener(string Name, string Host, int Port)
{
    public static IReadOnlyList<Listener> ParseList(string key, string? value)
    {
        var result = new List<Listener>();
        foreach (var item in ConfigKey.SplitList(value))
            result.Add(Parse(key, item));
        return result;
    }

    public static Listener Parse(string key, string value)
    {
        var sep = value.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
            throw new ConfigException($"Invalid value {value} for configuration {key}: expected NAME://host:port");
        var name = value[..sep];
        var hostPort = value[(sep + 3)..];
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new ConfigException($"Invalid value {value} for configuration {key}: expected NAME://host:port with a port in 0-65535");
        var host = hostPort[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return new Listener(name, host, port);
    }

    public override string ToString() => $"{Name}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}
