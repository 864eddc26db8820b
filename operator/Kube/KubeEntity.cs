using System.Collections.Concurrent;
using System.Reflection;
using k8s;
using k8s.Models;

namespace KafkaOperator.Kube;

/// <summary>The REST coordinates of a kind, read once from the [KubernetesEntity] attribute every model carries.</summary>
public sealed record KubeEntity(string Group, string Version, string Plural, string Kind)
{
    private static readonly ConcurrentDictionary<Type, KubeEntity> Cache = new();

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static KubeEntity Of<T>() => Of(typeof(T));

    public static KubeEntity Of(Type type) => Cache.GetOrAdd(type, static t =>
    {
        var attr = t.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{t.FullName} has no [KubernetesEntity] attribute, so its API path is unknown.");
        return new KubeEntity(attr.Group ?? "", attr.ApiVersion, attr.PluralName, attr.Kind);
    });

    /// <summary>Sets apiVersion and kind, which the library's models leave empty and list items omit.</summary>
    public static T WithTypeMeta<T>(T obj) where T : IKubernetesObject
    {
        var entity = Of(obj.GetType());
        if (string.IsNullOrEmpty(obj.ApiVersion))
        {
            obj.ApiVersion = entity.ApiVersion;
        }
        if (string.IsNullOrEmpty(obj.Kind))
        {
            obj.Kind = entity.Kind;
        }
        return obj;
    }

    /// <summary>A controller reference to <paramref name="owner"/> (controller and blockOwnerDeletion set).</summary>
    public static V1OwnerReference ControllerOf(IKubernetesObject<V1ObjectMeta> owner)
    {
        var entity = Of(owner.GetType());
        return new V1OwnerReference
        {
            ApiVersion = string.IsNullOrEmpty(owner.ApiVersion) ? entity.ApiVersion : owner.ApiVersion,
            Kind = string.IsNullOrEmpty(owner.Kind) ? entity.Kind : owner.Kind,
            Name = owner.Metadata?.Name ?? throw new ArgumentException("The owner has no name.", nameof(owner)),
            Uid = owner.Metadata.Uid ?? throw new ArgumentException("The owner has no uid: read it from the server first.", nameof(owner)),
            Controller = true,
            BlockOwnerDeletion = true,
        };
    }
}

/// <summary>Lookups in the library's maps (labels, annotations, data), which are IDictionary and may be null.</summary>
public static class KubeMaps
{
    public static string? ValueOf(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
