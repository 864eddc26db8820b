namespace KafkaOperator.Quorum.Log;

/// <summary>
/// An in-memory <see cref="IQuorumStateStore"/>; every write counts as durable, like the file store's after its
/// fsync, so it survives a simulated crash. Exception policy: none can occur.
/// </summary>
public sealed class MemoryQuorumStateStore : IQuorumStateStore
{
    private QuorumState? _state;

    public int Writes { get; private set; }

    public QuorumState? Read() => _state;

    public void Write(QuorumState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        Writes++;
    }
}
