namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// What a node is in one epoch. Each role holds only its own bookkeeping; the transitions and the messages live
/// in <see cref="RaftClient"/>. A role object is replaced, never reused, on every transition, so a response can
/// be checked against the role that sent its request by reference.
/// </summary>
internal abstract class EpochState(int epoch)
{
    public int Epoch { get; } = epoch;

    /// <summary>The leader this role knows for its epoch, -1 when none.</summary>
    public virtual int LeaderId => -1;

    public abstract string Name { get; }
}
