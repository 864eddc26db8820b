using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Producers;

/// <summary>
/// Hands out producer ids from blocks reserved durably in the metadata store, so an id is never given twice, even
/// across restarts (ids left in a block at shutdown are skipped, as Kafka does).
/// </summary>
public sealed class ProducerIdManager(IMetadataStore store, int blockSize = 1000)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _next;
    private long _end;

    public async Task<long> NextAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_next >= _end)
            {
                _next = await store.AllocateProducerIdBlockAsync(blockSize, cancellationToken).ConfigureAwait(false);
                _end = _next + blockSize;
            }
            return _next++;
        }
        finally
        {
            _gate.Release();
        }
    }
}
