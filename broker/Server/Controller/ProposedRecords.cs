namespace KafkaOperator.Server.Controller;

/// <summary>
/// The last few large records this node encoded for a proposal, with their payloads. When such a payload commits,
/// the store applies the record it already holds instead of decoding the payload again: for a fencing of 100,000
/// partitions the decode is hundreds of milliseconds on the quorum's event loop. The committed payload must equal the
/// remembered one byte for byte, so what is applied is exactly what the log holds (the same record every other node
/// decodes). Records are immutable once encoded; nothing here changes them.
/// </summary>
internal sealed class ProposedRecords
{
    public const int MinBytes = 16 * 1024;
    private const int Kept = 2;

    private readonly Lock _lock = new();
    private readonly LinkedList<(byte[] Payload, MetadataRecord Record)> _kept = new();

    public void Remember(byte[] payload, MetadataRecord record)
    {
        if (payload.Length < MinBytes)
            return;
        lock (_lock)
        {
            _kept.AddFirst((payload, record));
            if (_kept.Count > Kept)
                _kept.RemoveLast();
        }
    }

    /// <summary>The record encoded as <paramref name="payload"/>, if remembered (and then forgotten: each commits once).</summary>
    public MetadataRecord? Take(byte[] payload)
    {
        if (payload.Length < MinBytes)
            return null;
        lock (_lock)
        {
            for (var node = _kept.First; node is not null; node = node.Next)
            {
                if (node.Value.Payload.Length == payload.Length && node.Value.Payload.AsSpan().SequenceEqual(payload))
                {
                    _kept.Remove(node);
                    return node.Value.Record;
                }
            }
        }
        return null;
    }
}
