namespace KafkaOperator.Operator.Crds;

public static class CrdGroup
{
    public const string Group = "kafka.kafkaoperator.io";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>Set to "true" to stop the operator from touching one object (and its children).</summary>
    public const string PausedAnnotation = Group + "/paused";

    /// <summary>Finalizer that lets the topic reconciler delete the Kafka topic before the resource disappears.</summary>
    public const string TopicFinalizer = Group + "/topic";
}
