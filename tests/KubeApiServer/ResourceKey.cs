namespace KafkaOperator.Kube.Testing;

/// <summary>A resource type: group and plural (versions of one group share storage, as in the real server).</summary>
public readonly record struct ResourceType(string Group, string Plural)
{
    /// <summary>Kubernetes' own kinds (core, apps, policy, *.k8s.io), as opposed to custom resources.</summary>
    public bool IsBuiltIn => !Group.Contains('.', StringComparison.Ordinal) || Group.EndsWith(".k8s.io", StringComparison.Ordinal);
}

/// <summary>One object: its type, namespace ("" when cluster-scoped) and name.</summary>
public readonly record struct ResourceKey(string Group, string Plural, string Namespace, string Name)
{
    public ResourceType Type => new(Group, Plural);
}

/// <summary>A parsed request path: /api/v1/... or /apis/{group}/{version}/...</summary>
internal sealed record ApiPath(string Group, string Version, string Plural, string? Namespace, string? Name, string? Subresource)
{
    public ResourceType Type => new(Group, Plural);

    public ResourceKey Key(string? name = null) => new(Group, Plural, Namespace ?? "", name ?? Name ?? "");

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static ApiPath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group;
        string version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }
        var tail = segments[rest..];
        // namespaces/{ns}/{plural}[/{name}[/{sub}]], but namespaces/{name}[/status] is the Namespace object itself.
        if (tail.Length >= 3 && tail[0] == "namespaces" && !(tail.Length == 3 && tail[2] is "status" or "finalize"))
        {
            return tail.Length > 5 ? null : new ApiPath(group, version, tail[2], tail[1], tail.ElementAtOrDefault(3), tail.ElementAtOrDefault(4));
        }
        return tail.Length > 3 ? null : new ApiPath(group, version, tail[0], null, tail.ElementAtOrDefault(1), tail.ElementAtOrDefault(2));
    }
}
