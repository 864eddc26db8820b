using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>A leader asks to add a caught-up follower to the ISR only when the controller could accept it (KIP-841).</summary>
public sealed class IsrEligibilityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ko-isr-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void A_caught_up_follower_is_proposed_for_the_isr_only_when_eligible(bool eligible, int expectedRequests)
    {
        Directory.CreateDirectory(_dir);
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0", ["log.dirs"] = _dir });
        using var log = PartitionLog.Open(_dir, "t", 0, LogConfig.Default);
        var partition = new Partition("t", Guid.NewGuid(), 0, 0, log, TopicConfig.Create(config, null));
        var channel = new RecordingChannel(eligible);
        partition.IsrChannel = channel;
        partition.ApplyMetadata(new PartitionMetadata(0, 0, 1, [0, 1], [0], PartitionEpoch: 3), nowMs: 0);

        Assert.Equal(KafkaOperator.Protocol.ErrorCode.None, partition.UpdateFollowerFetch(1, log.LogEndOffset, nowMs: 10));

        Assert.Equal(expectedRequests, channel.Requests.Count);
        if (eligible)
            Assert.Equal([0, 1], channel.Requests[0]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private sealed class RecordingChannel(bool eligible) : IIsrChangeChannel
    {
        public List<int[]> Requests { get; } = [];

        public bool IsEligible(int brokerId) => eligible;

        public void Submit(Partition partition, ReplicaRole basedOn, int[] newIsr) => Requests.Add(newIsr);
    }
}
