namespace KafkaOperator.Operator.Queue;

/// <summary>Queue keys are "namespace/name", as in client-go.</summary>
public static class ObjectKey
{
    public static string Of(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    public static (string? Namespace, string Name) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
