namespace KafkaOperator.Server.Config;

/// <summary>Where a config value came from; numbered as DescribeConfigs reports it.</summary>
public enum ConfigSource : sbyte
{
    Unknown = 0,
    TopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
}

/// <summary>One resolved synonym: a key, its value and where it was set.</summary>
public readonly record struct ConfigSynonym(string Name, string? Value, ConfigSource Source);

/// <summary>Thrown for bad static configuration; the message names the key and the value.</summary>
public sealed class ConfigException(string message) : Exception(message)
{
}
