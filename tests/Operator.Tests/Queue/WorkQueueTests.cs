using KafkaOperator.Operator.Queue;

namespace KafkaOperator.Operator.Tests.Queue;

public sealed class WorkQueueTests
{
    private static async Task<string?> TryTakeAsync(WorkQueue q, int ms = 50)
    {
        using var cts = new CancellationTokenSource(ms);
        try
        {
            return await q.TakeAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Duplicate_adds_are_collapsed()
    {
        using var q = new WorkQueue();
        q.Add("ns/a");
        q.Add("ns/a");
        q.Add("ns/b");
        Assert.Equal(2, q.Depth);
        Assert.Equal("ns/a", await q.TakeAsync(CancellationToken.None));
        Assert.Equal("ns/b", await q.TakeAsync(CancellationToken.None));
        Assert.Null(await TryTakeAsync(q));
    }

    [Fact]
    public async Task A_key_is_never_handed_to_two_workers_at_once()
    {
        using var q = new WorkQueue();
        q.Add("k");
        var key = await q.TakeAsync(CancellationToken.None);
        q.Add("k");
        q.Add("k");
        // Still being processed: nobody else may get it.
        Assert.Null(await TryTakeAsync(q));
        q.Done(key);
        // Re-added exactly once for after the current pass.
        Assert.Equal("k", await q.TakeAsync(CancellationToken.None));
        q.Done("k");
        Assert.Null(await TryTakeAsync(q));
    }

    [Fact]
    public void Backoff_doubles_and_is_capped()
    {
        using var q = new WorkQueue(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(100), q.Backoff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), q.Backoff(2));
        Assert.Equal(TimeSpan.FromMilliseconds(800), q.Backoff(4));
        Assert.Equal(TimeSpan.FromSeconds(1), q.Backoff(10));
    }

    [Fact]
    public async Task Rate_limited_keys_come_back_and_forget_resets_the_count()
    {
        using var q = new WorkQueue(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(20), q.AddRateLimited("k"));
        Assert.Equal("k", await q.TakeAsync(new CancellationTokenSource(5000).Token));
        q.Done("k");
        Assert.Equal(TimeSpan.FromMilliseconds(40), q.AddRateLimited("k"));
        Assert.Equal(2, q.Failures("k"));
        Assert.Equal("k", await q.TakeAsync(new CancellationTokenSource(5000).Token));
        q.Done("k");
        q.Forget("k");
        Assert.Equal(0, q.Failures("k"));
    }

    [Fact]
    public async Task Earlier_deadline_wins_and_immediate_add_cancels_the_delay()
    {
        using var q = new WorkQueue();
        q.AddAfter("k", TimeSpan.FromHours(1));
        q.AddAfter("k", TimeSpan.FromMilliseconds(10));
        Assert.Equal("k", await q.TakeAsync(new CancellationTokenSource(5000).Token));
        q.Done("k");
        q.AddAfter("j", TimeSpan.FromMilliseconds(30));
        q.Add("j");
        Assert.Equal("j", await q.TakeAsync(CancellationToken.None));
        q.Done("j");
        // The superseded delayed add does not fire a second time.
        Assert.Null(await TryTakeAsync(q, 150));
    }

    [Fact]
    public void Keys_round_trip()
    {
        Assert.Equal(("ns", "name"), ObjectKey.Parse(ObjectKey.Of("ns", "name")));
        Assert.Equal((null, "cluster-scoped"), ObjectKey.Parse(ObjectKey.Of(null, "cluster-scoped")));
    }
}
