using k8s;
using k8s.Models;
using KafkaOperator.Kube.Leader;
using KafkaOperator.Kube.Testing;

namespace KafkaOperator.Kube.Tests;

public sealed class LeaderElectorTests
{
    private static LeaderElectionOptions Options(string identity, TimeProvider clock) => new()
    {
        LeaseName = "kafka-operator",
        LeaseNamespace = "kafka-system",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(15),
        RenewDeadline = TimeSpan.FromSeconds(10),
        RetryPeriod = TimeSpan.FromSeconds(2),
        TimeProvider = clock,
    };

    [Fact]
    public async Task Only_one_leads_and_the_other_takes_over_after_the_lease_expires()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var a = new LeaderElector(server.Client, Options("a", clock));
        var b = new LeaderElector(server.Client, Options("b", clock));

        Assert.True(await a.TryAcquireOrRenewAsync());
        Assert.False(await b.TryAcquireOrRenewAsync());
        Assert.Equal("a", b.ObservedLeader);

        // A renews in time: B's view of the lease is refreshed, so B keeps waiting.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await a.TryAcquireOrRenewAsync());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await b.TryAcquireOrRenewAsync());

        // A stops renewing: 15s after B last saw the lease change, B takes it over.
        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.False(await b.TryAcquireOrRenewAsync());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await b.TryAcquireOrRenewAsync());
        Assert.True(b.IsLeader);

        var lease = (await server.Client.GetAsync<V1Lease>("kafka-system", "kafka-operator"))!;
        Assert.Equal("b", lease.Spec!.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
        Assert.Equal(15, lease.Spec.LeaseDurationSeconds);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, lease.Spec.RenewTime);

        Assert.False(await a.TryAcquireOrRenewAsync());
        Assert.False(a.IsLeader);
        Assert.Equal("b", a.ObservedLeader);
    }

    [Fact]
    public async Task Concurrent_candidates_never_both_win()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var electors = Enumerable.Range(0, 4).Select(i => new LeaderElector(server.Client, Options($"c{i}", clock))).ToList();
        var results = await Task.WhenAll(electors.Select(e => e.TryAcquireOrRenewAsync()));
        Assert.Single(results, r => r);

        // After expiry they race again for the takeover; the resourceVersion check lets exactly one through.
        var leader = electors[Array.IndexOf(results, true)];
        var others = electors.Where(e => e != leader).ToList();
        await Task.WhenAll(others.Select(e => e.TryAcquireOrRenewAsync()));
        clock.Advance(TimeSpan.FromSeconds(16));
        var takeover = await Task.WhenAll(others.Select(e => e.TryAcquireOrRenewAsync()));
        Assert.Single(takeover, r => r);
    }

    [Fact]
    public async Task Release_lets_another_candidate_lead_at_once()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var a = new LeaderElector(server.Client, Options("a", clock));
        var b = new LeaderElector(server.Client, Options("b", clock));
        Assert.True(await a.TryAcquireOrRenewAsync());
        await a.ReleaseAsync();
        Assert.False(a.IsLeader);
        Assert.True(await b.TryAcquireOrRenewAsync());
    }

    [Fact]
    public async Task Run_leads_renews_and_steps_down_when_renewals_fail_past_the_deadline()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var elector = new LeaderElector(server.Client, Options("a", clock));
        var started = new TaskCompletionSource();
        var stopped = new TaskCompletionSource();
        var workCancelled = false;
        var run = elector.RunAsync(async token =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                workCancelled = true;
                throw;
            }
        }, stopped.SetResult);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Healthy renewals keep the lease fresh.
        for (var i = 0; i < 3; i++)
        {
            await AdvanceWhenWaitingAsync(clock, TimeSpan.FromSeconds(2));
        }
        await Poll.UntilAsync(async () => (await server.Client.GetAsync<V1Lease>("kafka-system", "kafka-operator"))!.Spec!.RenewTime == clock.GetUtcNow(),
            "the third renewal");
        var lastRenew = clock.GetUtcNow();

        server.InjectFailures(int.MaxValue, 500, "PUT", "/leases/");
        while (!stopped.Task.IsCompleted)
        {
            await AdvanceWhenWaitingAsync(clock, TimeSpan.FromSeconds(2), stopped.Task);
        }
        Assert.True(clock.GetUtcNow() - lastRenew >= TimeSpan.FromSeconds(10));
        Assert.True(clock.GetUtcNow() - lastRenew < TimeSpan.FromSeconds(15));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(workCancelled);
        Assert.False(elector.IsLeader);
    }

    [Fact]
    public async Task Run_waits_for_expiry_then_takes_over_from_a_crashed_leader()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var crashed = new LeaderElector(server.Client, Options("crashed", clock));
        Assert.True(await crashed.TryAcquireOrRenewAsync());
        var start = clock.GetUtcNow();

        using var cts = new CancellationTokenSource();
        var leading = new TaskCompletionSource<DateTimeOffset>();
        var candidate = new LeaderElector(server.Client, Options("candidate", clock));
        var run = candidate.RunAsync(token =>
        {
            leading.TrySetResult(clock.GetUtcNow());
            return Task.Delay(Timeout.Infinite, token);
        }, ct: cts.Token);
        while (!leading.Task.IsCompleted)
        {
            await AdvanceWhenWaitingAsync(clock, TimeSpan.FromSeconds(2), leading.Task);
        }
        var tookOver = await leading.Task;
        Assert.True(tookOver - start >= TimeSpan.FromSeconds(15));
        Assert.True(tookOver - start <= TimeSpan.FromSeconds(18));

        // Cancelling releases the lease so the next leader need not wait.
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        var lease = (await server.Client.GetAsync<V1Lease>("kafka-system", "kafka-operator"))!;
        Assert.Null(lease.Spec!.HolderIdentity);
        Assert.True(await crashed.TryAcquireOrRenewAsync());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    public async Task Run_stops_leading_the_moment_the_renew_deadline_passes_while_the_api_server_hangs(string hungMethod)
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var elector = new LeaderElector(server.Client, Options("a", clock));
        var workToken = new TaskCompletionSource<CancellationToken>();
        var stopped = new TaskCompletionSource();
        var run = elector.RunAsync(token =>
        {
            workToken.SetResult(token);
            return Task.Delay(Timeout.Infinite, token);
        }, stopped.SetResult);
        var token = await workToken.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await AdvanceWhenWaitingAsync(clock, TimeSpan.FromSeconds(2));
        await Poll.UntilAsync(async () => (await server.Client.GetAsync<V1Lease>("kafka-system", "kafka-operator"))!.Spec!.RenewTime == clock.GetUtcNow(),
            "a renewal");
        var lastRenew = clock.GetUtcNow();

        // The next renewal's request gets no answer (the client's own timeout is 30 s of real time, far beyond the lease).
        using var hang = server.HangRequests(hungMethod, "/leases/");
        await AdvanceWhenWaitingAsync(clock, TimeSpan.FromSeconds(2));
        await Poll.UntilAsync(() => hang.Count == 1, "the renewal to reach the hung API server");

        clock.Advance(lastRenew + TimeSpan.FromSeconds(10) - clock.GetUtcNow() - TimeSpan.FromTicks(1));
        Assert.True(elector.IsLeader);
        Assert.False(token.IsCancellationRequested);

        // The renew deadline passes with the request still hanging: leadership ends at once, not when it returns.
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(elector.IsLeader);
        Assert.True(token.IsCancellationRequested);
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, hang.Count);
    }

    [Fact]
    public async Task An_acquisition_that_outlasts_the_renew_deadline_does_not_start_leading()
    {
        await using var server = await FakeApiServer.StartAsync();
        var clock = new ManualTimeProvider();
        var elector = new LeaderElector(server.Client, Options("a", clock));
        var led = false;
        using var cts = new CancellationTokenSource();
        using var hang = server.HangRequests("POST", "/leases");
        var run = elector.RunAsync(_ =>
        {
            led = true;
            return Task.CompletedTask;
        }, ct: cts.Token);
        await Poll.UntilAsync(() => hang.Count == 1, "the lease creation to reach the hung API server");

        clock.Advance(TimeSpan.FromSeconds(10));
        // The bounded attempt gave up; the next one waits out its retry delay before trying again.
        await Poll.UntilAsync(() => clock.ScheduledDueTimes.Contains(clock.GetUtcNow() + TimeSpan.FromSeconds(2)), "the elector to retry later");
        Assert.False(led);
        Assert.False(elector.IsLeader);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(led);
    }

    /// <summary>
    /// Advances the clock once the elector's loop is parked in its retry delay, a timer due one step from now (its
    /// deadline timers are due later), or once <paramref name="done"/> finished.
    /// </summary>
    private static async Task AdvanceWhenWaitingAsync(ManualTimeProvider clock, TimeSpan step, Task? done = null)
    {
        await Poll.UntilAsync(() => clock.ScheduledDueTimes.Contains(clock.GetUtcNow() + step) || done?.IsCompleted == true, "the elector to wait for its next attempt");
        if (done?.IsCompleted != true)
        {
            clock.Advance(step);
        }
    }
}
