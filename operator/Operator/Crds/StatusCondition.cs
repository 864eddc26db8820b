using System.Text.Json.Serialization;

namespace KafkaOperator.Operator.Crds;

/// <summary>A status condition following the Kubernetes API conventions (metav1.Condition).</summary>
public sealed class StatusCondition
{
    [RequiredField] public string Type { get; set; } = "";
    [RequiredField, Doc("True, False or Unknown.")] public string Status { get; set; } = "Unknown";
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public long? ObservedGeneration { get; set; }
    [JsonConverter(typeof(RfcTimeConverter))]
    public DateTimeOffset? LastTransitionTime { get; set; }
}

public static class ConditionTypes
{
    public const string Ready = "Ready";
    public const string Reconciling = "Reconciling";

    /// <summary>KafkaTopic: True (a warning) while one record key carries at least spec.keySkewThreshold % of recent records.</summary>
    public const string KeySkew = "KeySkew";
}

public static class Conditions
{
    /// <summary>Sets a condition, keeping lastTransitionTime when the status does not change.</summary>
    public static void Set(List<StatusCondition> conditions, string type, bool status, string reason, string? message, long? generation, DateTimeOffset now)
    {
        var value = status ? "True" : "False";
        var existing = conditions.Find(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new StatusCondition { Type = type, Status = value, Reason = reason, Message = message, ObservedGeneration = generation, LastTransitionTime = now });
            return;
        }
        if (existing.Status != value)
        {
            existing.LastTransitionTime = now;
        }
        existing.Status = value;
        existing.Reason = reason;
        existing.Message = message;
        existing.ObservedGeneration = generation;
    }

    public static StatusCondition? Find(IEnumerable<StatusCondition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IEnumerable<StatusCondition>? conditions, string type) => Find(conditions, type)?.Status == "True";
}
