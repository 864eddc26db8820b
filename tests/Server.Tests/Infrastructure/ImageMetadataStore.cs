using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// A metadata store that holds the image a test gives it and publishes what the test publishes; the code under test
/// only reads metadata, so a proposal is a test bug and throws.
/// </summary>
internal class ImageMetadataStore(MetadataImage image) : IMetadataStore
{
    public string ClusterId => "test-cluster";

    public int NodeId => 0;

    public MetadataImage Image { get; private set; } = image;

    public bool IsComplete => true;

    public event Action<MetadataImage, MetadataDelta>? Changed;

    public void Publish(MetadataImage image, MetadataDelta delta)
    {
        Image = image;
        Changed?.Invoke(image, delta);
    }

    public Task CreateTopicAsync(TopicMetadata topic, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task DeleteTopicAsync(Guid topicId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task AddPartitionsAsync(Guid topicId, IReadOnlyList<PartitionMetadata> added, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetTopicConfigsAsync(Guid topicId, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetBrokerConfigsAsync(IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<long> AllocateProducerIdBlockAsync(int count, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
