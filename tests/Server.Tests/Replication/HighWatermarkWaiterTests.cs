using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// acks=all waiters (Partition.WaitForHighWatermarkAsync) complete on the thread that moves the high watermark, after
/// the partition's lock: once each, in offset order, with Kafka's errors when the ISR shrank, the leadership moved or
/// the timeout passed. A continuation that produces and waits again from inside the completion (what a connection's
/// write loop does when it goes on to the next request) must not disturb the waiters being completed.
/// </summary>
public sealed class HighWatermarkWaiterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ko-hw-waiters-" + Guid.NewGuid().ToString("N"));
    private readonly PartitionLog _log;
    private readonly Partition _partition;

    public HighWatermarkWaiterTests()
    {
        Directory.CreateDirectory(_dir);
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0", ["log.dirs"] = _dir });
        _log = PartitionLog.Open(_dir, "t", 0, LogConfig.Default);
        _partition = new Partition("t", Guid.NewGuid(), 0, 0, _log, TopicConfig.Create(config, new Dictionary<string, string> { ["min.insync.replicas"] = "2" }));
        _partition.ApplyMetadata(new PartitionMetadata(0, 0, 1, [0, 1, 2], [0, 1, 2], PartitionEpoch: 1), nowMs: 0);
        FollowersAt(0);
    }

    [Fact]
    public Task Waiters_complete_once_each_in_offset_order_when_the_followers_fetch_past_them() => OnPool(async () =>
    {
        var completed = new List<long>();
        var waits = new List<Task<ErrorCode>>();
        for (var i = 0; i < 3; i++)
        {
            var end = Append() + 1;
            var wait = _partition.WaitForHighWatermarkAsync(end, int.MaxValue, CancellationToken.None);
            _ = wait.ContinueWith(_ => completed.Add(end), TaskContinuationOptions.ExecuteSynchronously);
            waits.Add(wait);
        }

        _partition.UpdateFollowerFetch(1, _log.LogEndOffset, nowMs: 1);
        Assert.All(waits, w => Assert.False(w.IsCompleted)); // the HW waits for every ISR member

        _partition.UpdateFollowerFetch(2, 2, nowMs: 1);
        Assert.Equal([1L, 2L], completed); // done by the time the fetch returns: no thread-pool hop
        _partition.UpdateFollowerFetch(2, _log.LogEndOffset, nowMs: 2);
        _partition.UpdateFollowerFetch(2, _log.LogEndOffset, nowMs: 3);

        Assert.Equal([1L, 2L, 3L], completed);
        Assert.All(waits, w => Assert.True(w.IsCompleted));
        Assert.All(await Task.WhenAll(waits), e => Assert.Equal(ErrorCode.None, e));
    });

    [Fact]
    public Task A_continuation_that_produces_and_waits_again_is_neither_lost_nor_completed_twice() => OnPool(async () =>
    {
        var first = _partition.WaitForHighWatermarkAsync(Append() + 1, int.MaxValue, CancellationToken.None);
        var later = _partition.WaitForHighWatermarkAsync(Append() + 1, int.MaxValue, CancellationToken.None);
        Task<ErrorCode>? nested = null;
        var runs = 0;
        _ = first.ContinueWith(
            _ =>
            {
                runs++;
                nested = _partition.WaitForHighWatermarkAsync(Append() + 1, int.MaxValue, CancellationToken.None);
                FollowersAt(1); // a fetch from inside the completion: the HW does not move past 1 again
            },
            TaskContinuationOptions.ExecuteSynchronously);

        FollowersAt(1);

        Assert.Equal(1, runs);
        Assert.True(first.IsCompleted);
        Assert.Equal(ErrorCode.None, await first);
        Assert.False(later.IsCompleted);
        Assert.NotNull(nested);
        Assert.False(nested.IsCompleted);

        FollowersAt(_log.LogEndOffset);

        Assert.True(later.IsCompleted);
        Assert.True(nested.IsCompleted);
        Assert.Equal(ErrorCode.None, await later);
        Assert.Equal(ErrorCode.None, await nested);
        Assert.Equal(1, runs);
    });

    [Fact]
    public Task Records_committed_after_the_isr_shrank_below_min_insync_replicas_get_not_enough_replicas_after_append() => OnPool(async () =>
    {
        var wait = _partition.WaitForHighWatermarkAsync(Append() + 1, int.MaxValue, CancellationToken.None);

        // The controller removed both followers: the leader alone is the ISR, and its HW moves to its LEO at once.
        _partition.ApplyMetadata(new PartitionMetadata(0, 0, 1, [0, 1, 2], [0], PartitionEpoch: 2), nowMs: 5);

        Assert.True(wait.IsCompleted);
        Assert.Equal(ErrorCode.NotEnoughReplicasAfterAppend, await wait);
    });

    [Fact]
    public Task A_wait_past_its_timeout_is_request_timed_out_and_a_later_high_watermark_move_leaves_it_alone() => OnPool(async () =>
    {
        var end = Append() + 1;
        var timedOut = await _partition.WaitForHighWatermarkAsync(end, timeoutMs: 1, CancellationToken.None);
        var next = _partition.WaitForHighWatermarkAsync(end, int.MaxValue, CancellationToken.None);

        FollowersAt(end);

        Assert.Equal(ErrorCode.RequestTimedOut, timedOut);
        Assert.True(next.IsCompleted);
        Assert.Equal(ErrorCode.None, await next);
    });

    [Fact]
    public Task Waiters_fail_with_not_leader_or_follower_when_the_leadership_moves() => OnPool(async () =>
    {
        var wait = _partition.WaitForHighWatermarkAsync(Append() + 1, int.MaxValue, CancellationToken.None);

        _partition.ApplyMetadata(new PartitionMetadata(0, 1, 2, [0, 1, 2], [0, 1, 2], PartitionEpoch: 2), nowMs: 5);

        Assert.Equal(ErrorCode.NotLeaderOrFollower, await wait);
    });

    /// <summary>
    /// Runs a test where the broker's socket and pool threads run: without xunit's synchronization context, under
    /// which .NET never runs an await continuation inline and every completion would look like a hop.
    /// </summary>
    private static Task OnPool(Func<Task> body) => Task.Run(body);

    /// <summary>An acks=all append of one record; its offset.</summary>
    private long Append()
    {
        using var builder = new RecordBatchBuilder();
        builder.Add(1_700_000_000_000, null, Encoding.UTF8.GetBytes("v"));
        var result = _partition.Append(builder.ToArray(), -1);
        Assert.Equal(ErrorCode.None, result.Error);
        return result.BaseOffset;
    }

    private void FollowersAt(long offset)
    {
        Assert.Equal(ErrorCode.None, _partition.UpdateFollowerFetch(1, offset, nowMs: 1));
        Assert.Equal(ErrorCode.None, _partition.UpdateFollowerFetch(2, offset, nowMs: 1));
    }

    public void Dispose()
    {
        _log.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
