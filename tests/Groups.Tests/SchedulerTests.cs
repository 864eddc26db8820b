using KafkaOperator.Groups.Timers;

namespace KafkaOperator.Groups.Tests;

public class SchedulerTests
{
    [Fact]
    public void Runs_due_actions_in_deadline_order_and_honours_replace_and_cancel()
    {
        var time = new ManualTimeProvider();
        using var scheduler = new DeadlineScheduler(time);
        var start = scheduler.NowMs;
        var ran = new List<string>();
        scheduler.Schedule("b", start + 200, () => ran.Add("b"));
        scheduler.Schedule("a", start + 100, () => ran.Add("a"));
        scheduler.Schedule("c", start + 300, () => ran.Add("c-old"));
        scheduler.Schedule("c", start + 150, () => ran.Add("c"));
        scheduler.Schedule("d", start + 120, () => ran.Add("d"));
        scheduler.Cancel("d");
        time.Advance(99);
        Assert.Empty(ran);
        time.Advance(1000);
        Assert.Equal(["a", "c", "b"], ran);
        Assert.Equal(0, scheduler.PendingCount);
    }

    [Fact]
    public void An_action_may_reschedule_itself_and_a_failing_action_is_reported()
    {
        var time = new ManualTimeProvider();
        using var scheduler = new DeadlineScheduler(time);
        var errors = new List<string>();
        scheduler.Error += (key, _) => errors.Add(key);
        var ticks = 0;
        void Tick()
        {
            ticks++;
            scheduler.Schedule("tick", scheduler.NowMs + 10, Tick);
        }
        scheduler.Schedule("tick", scheduler.NowMs + 10, Tick);
        scheduler.Schedule("boom", scheduler.NowMs + 15, () => throw new InvalidOperationException("boom"));
        time.Advance(100);
        Assert.Equal(10, ticks);
        Assert.Equal(["boom"], errors);
    }

    [Fact]
    public void An_action_that_cancels_a_key_due_in_the_same_round_prevents_it()
    {
        var time = new ManualTimeProvider();
        using var scheduler = new DeadlineScheduler(time);
        var ran = new List<string>();
        scheduler.Schedule("first", scheduler.NowMs + 10, () =>
        {
            ran.Add("first");
            scheduler.Cancel("second");
        });
        scheduler.Schedule("second", scheduler.NowMs + 10, () => ran.Add("second"));
        time.Advance(10);
        Assert.Equal(["first"], ran);
    }
}
