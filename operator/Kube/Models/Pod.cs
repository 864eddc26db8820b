using System.Text.Json;

namespace KafkaOperator.Kube.Models;

[KubeResource("", "v1", "pods", "Pod")]
public sealed class Pod : KubeObject
{
    public PodSpec? Spec { get; set; }
    public PodStatus? Status { get; set; }
}

public sealed class PodStatus
{
    /// <summary>Pending, Running, Succeeded, Failed or Unknown.</summary>
    public string? Phase { get; set; }
    public string? PodIP { get; set; }
    public string? HostIP { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public List<PodCondition>? Conditions { get; set; }
    public List<ContainerStatus>? ContainerStatuses { get; set; }
}

public sealed class PodCondition
{
    /// <summary>PodScheduled, Initialized, ContainersReady, Ready.</summary>
    public string Type { get; set; } = "";
    public string Status { get; set; } = "Unknown";
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset? LastTransitionTime { get; set; }
}

public sealed class ContainerStatus
{
    public string Name { get; set; } = "";
    public bool Ready { get; set; }
    public int RestartCount { get; set; }
    public bool? Started { get; set; }
    public string? Image { get; set; }
    public string? ImageID { get; set; }
    public string? ContainerID { get; set; }
    public JsonElement? State { get; set; }
    public JsonElement? LastState { get; set; }
}

[KubeResource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim")]
public sealed class PersistentVolumeClaim : KubeObject
{
    public PersistentVolumeClaimSpec? Spec { get; set; }
    public PersistentVolumeClaimStatus? Status { get; set; }
}

public sealed class PersistentVolumeClaimSpec
{
    public List<string>? AccessModes { get; set; }
    public ResourceRequirements? Resources { get; set; }
    public string? StorageClassName { get; set; }
    public string? VolumeMode { get; set; }
    public string? VolumeName { get; set; }
}

public sealed class PersistentVolumeClaimStatus
{
    public string? Phase { get; set; }
    public Dictionary<string, string>? Capacity { get; set; }
}
