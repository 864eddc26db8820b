using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

[KubeResource("apps", "v1", "statefulsets", "StatefulSet")]
public sealed class StatefulSet : KubeObject
{
    public StatefulSetSpec? Spec { get; set; }
    public StatefulSetStatus? Status { get; set; }
}

public sealed class StatefulSetSpec
{
    public int? Replicas { get; set; }
    public LabelSelector? Selector { get; set; }
    public string? ServiceName { get; set; }
    public PodTemplateSpec Template { get; set; } = new();
    public List<PersistentVolumeClaim>? VolumeClaimTemplates { get; set; }

    /// <summary>OrderedReady (default) or Parallel.</summary>
    public string? PodManagementPolicy { get; set; }

    public StatefulSetUpdateStrategy? UpdateStrategy { get; set; }
    public StatefulSetPersistentVolumeClaimRetentionPolicy? PersistentVolumeClaimRetentionPolicy { get; set; }
    public int? MinReadySeconds { get; set; }
    public int? RevisionHistoryLimit { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class StatefulSetUpdateStrategy
{
    /// <summary>RollingUpdate (default) or OnDelete.</summary>
    public string? Type { get; set; }
    public RollingUpdateStatefulSetStrategy? RollingUpdate { get; set; }
}

public sealed class RollingUpdateStatefulSetStrategy
{
    public int? Partition { get; set; }
    public IntOrString? MaxUnavailable { get; set; }
}

public sealed class StatefulSetPersistentVolumeClaimRetentionPolicy
{
    /// <summary>Retain or Delete.</summary>
    public string? WhenDeleted { get; set; }
    public string? WhenScaled { get; set; }
}

public sealed class StatefulSetStatus
{
    public long? ObservedGeneration { get; set; }
    public int Replicas { get; set; }
    public int? ReadyReplicas { get; set; }
    public int? CurrentReplicas { get; set; }
    public int? UpdatedReplicas { get; set; }
    public int? AvailableReplicas { get; set; }
    public string? CurrentRevision { get; set; }
    public string? UpdateRevision { get; set; }
    public int? CollisionCount { get; set; }
}

[KubeResource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")]
public sealed class PodDisruptionBudget : KubeObject
{
    public PodDisruptionBudgetSpec? Spec { get; set; }
    public PodDisruptionBudgetStatus? Status { get; set; }
}

public sealed class PodDisruptionBudgetSpec
{
    public IntOrString? MinAvailable { get; set; }
    public IntOrString? MaxUnavailable { get; set; }
    public LabelSelector? Selector { get; set; }
}

public sealed class PodDisruptionBudgetStatus
{
    public long? ObservedGeneration { get; set; }
    public int CurrentHealthy { get; set; }
    public int DesiredHealthy { get; set; }
    public int DisruptionsAllowed { get; set; }
    public int ExpectedPods { get; set; }
}
