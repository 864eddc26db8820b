namespace KafkaOperator.Server.Cluster;

/// <summary>Kafka's topic name rules: 1..249 chars of [a-zA-Z0-9._-], and not "." or "..".</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>The metadata quorum's log (a directory `__cluster_metadata-0` in the first log dir), as in KRaft.</summary>
    public const string MetadataTopic = KafkaOperator.Storage.LogManager.MetadataTopic;

    /// <summary>Null when the name is legal, otherwise Kafka's explanation (INVALID_TOPIC_EXCEPTION).</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "Topic name is illegal, it can't be empty";
        if (name is "." or "..")
            return "Topic name cannot be \".\" or \"..\"";
        if (name == MetadataTopic)
            return $"Topic name {MetadataTopic} is reserved for the cluster metadata log";
        if (name.Length > MaxLength)
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        foreach (var c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-'))
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
        }
        return null;
    }

    public static bool IsValid(string? name) => Validate(name) is null;

    /// <summary>Kafka's internal topics (reported with IsInternal in Metadata).</summary>
    public static bool IsInternal(string name) => name is "__consumer_offsets" or "__transaction_state";
}
