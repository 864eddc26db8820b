using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>The replica manager applies each commit's delta to its hosted partitions, and walks the image when it must.</summary>
public sealed class ReplicaManagerDeltaTests : IDisposable
{
    private static readonly Guid A = new(1, 0, 0, new byte[8]);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ko-delta-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly DeltaStore _store;
    private readonly ReplicaManager _replicas;

    public ReplicaManagerDeltaTests()
    {
        Directory.CreateDirectory(_dir);
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        for (var b = 0; b < 2; b++)
        {
            Ok(machine.Apply(new RegisterBrokerRecord(b, [new EndpointRecord("PLAINTEXT", "h", 9092 + b)], null), b));
            Ok(machine.Apply(new UnfenceBrokerRecord(b, b), b));
        }
        // Node 0 leads a-0, follows a-1 and holds no replica of a-2.
        Ok(machine.Apply(new CreateTopicRecord("a", A, [[0, 1], [1, 0], [1]], []), 10));
        _store = new DeltaStore(machine.ToImage(0));
        _replicas = new ReplicaManager(BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0", ["log.dirs"] = _dir }), _store);
        _replicas.Start();
    }

    public void Dispose()
    {
        _replicas.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static void Ok(ApplyResult result) => Assert.Equal(ErrorCode.None, result.Error);

    [Fact]
    public void A_partition_change_reaches_that_replica_and_leaves_the_others_as_they_were()
    {
        var a0 = Assert.IsType<Partition>(_replicas.Get("a", 0));
        var a1 = Assert.IsType<Partition>(_replicas.GetHosted("a", 1));
        Assert.Null(_replicas.GetHosted("a", 2));

        var p = _store.Image.Topic(A)!.Partitions[0];
        _store.Commit(new PartitionChangeRecord(A, 0, p.PartitionEpoch, 1, [0, 1]));

        Assert.Null(_replicas.Get("a", 0)); // a follower now: clients are not served here
        Assert.Same(a0, _replicas.GetHosted(A, 0));
        Assert.Equal(1, a0.LeaderEpoch);
        Assert.Same(a1, _replicas.GetHosted("a", 1));
    }

    [Fact]
    public void Created_added_and_deleted_topics_open_and_remove_their_replicas()
    {
        var b = Guid.NewGuid();
        _store.Commit(new CreateTopicRecord("b", b, [[0], [1]], []));
        Assert.NotNull(_replicas.Get("b", 0));
        Assert.Null(_replicas.GetHosted("b", 1));

        _store.Commit(new AddPartitionsRecord(b, [[1], [0]]));
        Assert.NotNull(_replicas.Get(b, 3));

        _store.Commit(new DeleteTopicRecord(A));
        Assert.Null(_replicas.GetHosted("a", 0));
        Assert.Null(_replicas.GetHosted(A, 1));
        Assert.False(Directory.Exists(Path.Combine(_dir, "a-0")));
        Assert.NotNull(_replicas.Get("b", 0));
    }

    [Fact]
    public void A_config_change_reaches_every_hosted_replica_of_the_topic()
    {
        _store.Commit(new TopicConfigsRecord(A, new() { ["retention.ms"] = "1234" }));

        Assert.Equal("1234", _replicas.GetHosted("a", 0)!.Config.Value("retention.ms"));
        Assert.Equal("1234", _replicas.GetHosted("a", 1)!.Config.Value("retention.ms"));
    }

    [Fact]
    public void A_delta_that_does_not_follow_the_applied_image_makes_it_walk_the_whole_image()
    {
        var b = Guid.NewGuid();
        // The first commit is never published here (as if it came before this subscriber): its topic still opens.
        var machine = new MetadataStateMachine(_store.Image);
        Ok(machine.Apply(new CreateTopicRecord("b", b, [[0]], []), 100));
        var skipped = machine.ToImage(0);
        machine = new MetadataStateMachine(skipped);
        Ok(machine.Apply(new CreateTopicRecord("c", Guid.NewGuid(), [[0]], []), 101));
        _store.Publish(machine.ToImage(0), machine.Delta);

        Assert.NotNull(_replicas.Get("b", 0));
        Assert.NotNull(_replicas.Get("c", 0));
    }

    [Fact]
    public void A_restart_takes_its_leaderships_only_once_registered_and_unfenced_and_a_fencing_takes_them_away()
    {
        var epoch = -1L; // a restarted process: not registered yet
        _replicas.BrokerEpoch = () => epoch;
        var a0 = Assert.IsType<Partition>(_replicas.GetHosted("a", 0));
        var a1 = Assert.IsType<Partition>(_replicas.GetHosted("a", 1));

        // Registered again (fenced): the image still names this broker leader of a-0, in the old process's epoch.
        _store.Commit(new RegisterBrokerRecord(0, [new EndpointRecord("PLAINTEXT", "h", 9092)], null));
        Assert.Null(_replicas.Get("a", 0));
        epoch = _store.Image.Brokers[0].Epoch;
        _replicas.Refresh();
        Assert.Null(_replicas.Get("a", 0)); // registered, still fenced

        _store.Commit(new UnfenceBrokerRecord(0, epoch));
        Assert.Same(a0, _replicas.Get("a", 0));
        Assert.Same(a1, _replicas.GetHosted("a", 1));
        Assert.False(a1.IsLeader);

        _store.Commit(new FenceBrokerRecord(0, epoch));
        Assert.Null(_replicas.Get("a", 0));
        Assert.Same(a0, _replicas.GetHosted("a", 0));
    }

    /// <summary>A store whose commits this test makes: each applies one record and publishes the image with its delta.</summary>
    private sealed class DeltaStore(MetadataImage image) : ImageMetadataStore(image)
    {
        private long _offset = 1000;

        public void Commit(MetadataRecord record)
        {
            var machine = new MetadataStateMachine(Image);
            Ok(machine.Apply(record, ++_offset));
            Publish(machine.ToImage(0), machine.Delta);
        }
    }
}
