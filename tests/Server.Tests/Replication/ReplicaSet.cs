using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Replication;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// The replicas of one partition as production <see cref="Partition"/>s over real logs in a temporary directory,
/// driven step by step: metadata applied to chosen replicas, produce on the leader, one follower fetch at a time
/// (<see cref="ReplicaFetchPath"/> and <see cref="FollowerFetchApply"/>), restarts that keep only part of a log.
/// </summary>
internal sealed class ReplicaSet : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"replica-set-{Guid.NewGuid():N}");
    private readonly TopicConfig _config = TopicConfig.Create(BrokerConfig.Create(new Dictionary<string, string>()), new Dictionary<string, string> { ["min.insync.replicas"] = "1" });
    private readonly Dictionary<int, Partition> _replicas = [];
    private readonly int[] _ids;
    private long _now = 1_000;

    public ReplicaSet(params int[] ids)
    {
        _ids = ids;
        foreach (var id in ids)
            _replicas[id] = Open(id, hadCleanShutdown: true, highWatermark: 0);
    }

    public Partition this[int id] => _replicas[id];

    /// <summary>Applies the committed state "<paramref name="leader"/> leads in <paramref name="epoch"/>" to the given replicas only (others have not heard yet).</summary>
    public void Elect(int leader, int epoch, int[] isr, int partitionEpoch, params int[] to)
    {
        var meta = new PartitionMetadata(0, leader, epoch, _ids, isr, partitionEpoch);
        foreach (var id in to.Length == 0 ? _ids : to)
            _replicas[id].ApplyMetadata(meta, _now);
    }

    /// <summary>An acks=1 produce of one record on <paramref name="leader"/>; returns its offset.</summary>
    public long Produce(int leader, string value)
    {
        using var builder = new RecordBatchBuilder();
        builder.Add(1_700_000_000_000, null, Encoding.UTF8.GetBytes(value));
        var result = _replicas[leader].Append(builder.ToArray(), 1);
        Assert.Equal(ErrorCode.None, result.Error);
        return result.BaseOffset;
    }

    /// <summary>One fetch of <paramref name="follower"/> from <paramref name="leader"/> in the epoch the follower follows.</summary>
    public FetchOutcome Fetch(int follower, int leader)
    {
        _now += 10;
        var f = _replicas[follower];
        var request = ReplicaFetchPath.Request(f, f.LeaderEpoch);
        var data = ReplicaFetchPath.LeaderSide(_replicas[leader], follower, request, _now);
        var before = f.LogEndOffset;
        var applied = FollowerFetchApply.Handle(f, f.LeaderEpoch, data, "test");
        return new FetchOutcome((ErrorCode)data.ErrorCode, applied, data.DivergingEpoch.Epoch >= 0 ? (data.DivergingEpoch.Epoch, data.DivergingEpoch.EndOffset) : null,
            before, f.LogEndOffset, f.HighWatermark);
    }

    /// <summary>The leader handles a fetch of <paramref name="follower"/> (moving its HW) but the answer is lost.</summary>
    public void FetchAnswerLost(int follower, int leader)
    {
        _now += 10;
        var f = _replicas[follower];
        ReplicaFetchPath.LeaderSide(_replicas[leader], follower, ReplicaFetchPath.Request(f, f.LeaderEpoch), _now);
    }

    /// <summary>One follower fetching until a round changes nothing (it caught up and knows the HW); the rounds it took.</summary>
    public int CatchUp(int follower, int leader) => Replicate(leader, follower);

    /// <summary>Rounds of fetches by every follower until a round changes nothing anywhere; the rounds it took.</summary>
    public int Replicate(int leader, params int[] followers)
    {
        for (var round = 1; round <= 20; round++)
        {
            var changed = false;
            foreach (var follower in followers)
            {
                var leaderHw = _replicas[leader].HighWatermark;
                var hw = _replicas[follower].HighWatermark;
                var outcome = Fetch(follower, leader);
                Assert.True(outcome.Applied, $"fetch {round} of {follower} from {leader} failed: {outcome.Error}");
                changed |= outcome.Diverging is not null || outcome.EndAfter != outcome.EndBefore || outcome.HighWatermark != hw
                    || _replicas[leader].HighWatermark != leaderHw;
            }
            if (!changed)
                return round;
        }
        throw new InvalidOperationException($"[{string.Join(',', followers)}] did not catch up with {leader} in 20 rounds");
    }

    /// <summary>
    /// Restarts replica <paramref name="id"/>: its log keeps the offsets below <paramref name="keepBelow"/> (a power
    /// loss took the rest; null keeps everything) and reads <paramref name="highWatermark"/> back from its checkpoint.
    /// The new process has no role until metadata is applied again.
    /// </summary>
    public void Restart(int id, long? keepBelow, long highWatermark)
    {
        var log = _replicas[id].Log;
        var dir = log.Directory;
        log.Dispose();
        if (keepBelow is { } keep)
        {
            foreach (var file in Directory.GetFiles(dir, "*.log"))
                CutAt(file, keep);
        }
        _replicas[id] = Open(id, hadCleanShutdown: keepBelow is null, highWatermark);
    }

    /// <summary>(offset, epoch, value) of every record of replica <paramref name="id"/>.</summary>
    public List<(long Offset, int Epoch, string Value)> Records(int id)
    {
        var log = _replicas[id].Log;
        var result = new List<(long, int, string)>();
        var position = log.LogStartOffset;
        while (position < log.LogEndOffset)
        {
            var read = log.Read(position, int.MaxValue, long.MaxValue, minOneBatch: true);
            if (read.Records.SizeInBytes == 0)
                break;
            foreach (var batch in new RecordBatchEnumerator(ReplicaFetchPath.Copy(read.Records)))
            {
                foreach (var record in batch.GetRecords())
                {
                    if (record.Offset >= position)
                        result.Add((record.Offset, batch.Header.PartitionLeaderEpoch, Encoding.UTF8.GetString(record.Value)));
                }
                position = batch.Header.LastOffset + 1;
            }
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var p in _replicas.Values)
            p.Log.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }

    private Partition Open(int id, bool hadCleanShutdown, long highWatermark)
    {
        var dir = Path.Combine(_root, $"broker-{id}");
        Directory.CreateDirectory(dir);
        var log = PartitionLog.Open(dir, "t", 0, ReplicaManager.ToLogConfig(_config), null, hadCleanShutdown, 0, 0, highWatermark);
        return new Partition("t", Guid.Empty, 0, id, log, _config) { IsrChannel = IsrRequests };
    }

    /// <summary>ISR changes the leaders asked for (never answered: the tests apply the outcome as metadata).</summary>
    public RecordingIsrChannel IsrRequests { get; } = new();

    /// <summary>Truncates a segment file before its first batch at or above <paramref name="offset"/>.</summary>
    private static void CutAt(string file, long offset)
    {
        var bytes = File.ReadAllBytes(file);
        var position = 0;
        while (bytes.Length - position >= RecordBatchHeader.LogOverhead
            && BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(position)) < offset)
            position += BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8)) + RecordBatchHeader.LogOverhead;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
        stream.SetLength(Math.Min(position, bytes.Length));
    }
}

/// <summary>What one follower fetch did: the leader's error, whether the follower applied it, the divergence reported, the follower's LEO before and after, its HW.</summary>
internal sealed record FetchOutcome(ErrorCode Error, bool Applied, (int Epoch, long EndOffset)? Diverging, long EndBefore, long EndAfter, long HighWatermark)
{
    public bool Truncated => EndAfter < EndBefore;
}

/// <summary>Records the ISR changes partitions submit.</summary>
internal sealed class RecordingIsrChannel : IIsrChangeChannel
{
    public List<(int Broker, ReplicaRole BasedOn, int[] NewIsr)> Requests { get; } = [];

    public void Submit(Partition partition, ReplicaRole basedOn, int[] newIsr) => Requests.Add((partition.LocalBrokerId, basedOn, newIsr));

    public bool IsEligible(int brokerId) => true;
}
