using System.Collections.Concurrent;
using System.Reflection;

namespace KafkaOperator.Kube.Models;

/// <summary>The REST coordinates of a resource type, read once from its <see cref="KubeResourceAttribute"/>.</summary>
public sealed record ResourceInfo(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    private static readonly ConcurrentDictionary<Type, ResourceInfo> Cache = new();

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"/api/v1" for the core group, "/apis/{group}/{version}" otherwise.</summary>
    public string ApiPrefix => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    public static ResourceInfo Of<T>() => Of(typeof(T));

    public static ResourceInfo Of(Type type) => Cache.GetOrAdd(type, static t =>
    {
        var attr = t.GetCustomAttribute<KubeResourceAttribute>()
            ?? throw new InvalidOperationException($"{t.FullName} has no [KubeResource] attribute, so its API path is unknown.");
        return new ResourceInfo(attr.Group, attr.Version, attr.Plural, attr.Kind, attr.Namespaced);
    });

    internal static ResourceInfo? TryOf(Type type) =>
        type.GetCustomAttribute<KubeResourceAttribute>() is null ? null : Of(type);

    /// <summary>Collection path; a null namespace means cluster-scoped or all namespaces.</summary>
    public string CollectionPath(string? ns) =>
        Namespaced && !string.IsNullOrEmpty(ns)
            ? $"{ApiPrefix}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}"
            : $"{ApiPrefix}/{Plural}";

    public string ObjectPath(string? ns, string name)
    {
        if (Namespaced && string.IsNullOrEmpty(ns))
        {
            throw new ArgumentException($"{Kind} is namespaced: a namespace is required for '{name}'.", nameof(ns));
        }
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"A {Kind} name is required.", nameof(name));
        }
        return $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
    }
}
