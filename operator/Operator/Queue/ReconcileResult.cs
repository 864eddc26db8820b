namespace KafkaOperator.Operator.Queue;

/// <summary>Outcome of one reconcile pass: success or failure, and when to look again.</summary>
public readonly record struct ReconcileResult(bool Succeeded, TimeSpan? RequeueAfter, string? Error)
{
    public static ReconcileResult Success(TimeSpan? requeueAfter = null) => new(true, requeueAfter, null);

    /// <summary>A failure; without an explicit delay the queue backs off exponentially.</summary>
    public static ReconcileResult Failure(string error, TimeSpan? requeueAfter = null) => new(false, requeueAfter, error);
}
