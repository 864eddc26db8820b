using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>
/// librdkafka's incremental cooperative rebalancing (cooperative-sticky) and static membership (group.instance.id),
/// with confluent-kafka-python member processes.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class LibrdkafkaGroupTests(GroupBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<GroupBrokerFixture>
{
    private const int Batch = 3000;

    /// <summary>A new member takes partitions only from the others' surplus: nobody loses a partition it keeps.</summary>
    [Fact]
    public async Task Cooperative_sticky_moves_only_the_partitions_the_new_member_takes()
    {
        using var s = new GroupScenario(fixture.Broker, output, "coop-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        GroupMemberProcess[] first = [s.StartPython("a", strategy: "cooperative-sticky"), s.StartPython("b", strategy: "cooperative-sticky")];
        await s.WaitForBalancedAsync(first, also: () => first.All(m => m.Assignment.Count == 3));
        await s.WaitForAllReadAsync();
        var before = first.ToDictionary(m => m.Name, m => m.Assignment.ToHashSet());
        // With no initial rebalance delay one member may have been assigned all six before the other joined, and
        // then handed three over (a revoke): only what happens from here on is the new member's doing.
        var revokesBefore = first.ToDictionary(m => m.Name, m => m.Count("REVOKED"));

        var c = s.StartPython("c", strategy: "cooperative-sticky");
        GroupMemberProcess[] all = [.. first, c];
        await s.WaitForBalancedAsync(all, also: () => all.All(m => m.Assignment.Count == 2));
        var revoked = first.SelectMany(m => m.Events().Where(e => e.Kind == "REVOKED").Skip(revokesBefore[m.Name])
            .SelectMany(e => e.Body.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()))).ToList();
        Assert.Equal(c.Assignment.Order(), revoked.Order());
        Assert.All(first, m => Assert.Subset(before[m.Name], m.Assignment.ToHashSet()));

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();

        // The killed member's partitions are added to the survivors; they revoke nothing of their own.
        var kept = first.ToDictionary(m => m.Name, m => m.Assignment.ToHashSet());
        var revokes = first.ToDictionary(m => m.Name, m => m.Count("REVOKED"));
        await s.KillAndAwaitFailoverAsync(c, first, eachOwns: 3);
        Assert.All(first, m => Assert.Subset(m.Assignment.ToHashSet(), kept[m.Name]));
        Assert.All(first, m => Assert.Equal(revokes[m.Name], m.Count("REVOKED")));

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead();
    }

    /// <summary>A static member that does not come back loses its partitions when its session times out.</summary>
    [Fact]
    public async Task Static_member_that_stays_away_is_replaced_after_its_session_timeout()
    {
        using var s = new GroupScenario(fixture.Broker, output, "static-gone-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        GroupMemberProcess[] members = [s.StartPython("a", instance: "ia"), s.StartPython("b", instance: "ib"), s.StartPython("c", instance: "ic")];
        await s.WaitForBalancedAsync(members, also: () => members.All(m => m.Assignment.Count == 2));
        await s.WaitForAllReadAsync();

        await s.KillAndAwaitFailoverAsync(members[2], members[..2], eachOwns: 3);

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead();
    }

    /// <summary>
    /// A static member whose process dies and comes back with the same group.instance.id within the session
    /// timeout gets its partitions back without a rebalance: the other members' assignments never change.
    /// </summary>
    [Fact]
    public async Task Static_member_restarted_within_its_session_keeps_its_partitions_without_a_rebalance()
    {
        using var s = new GroupScenario(fixture.Broker, output, "static-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        GroupMemberProcess[] members = [s.StartPython("a", instance: "ia"), s.StartPython("b", instance: "ib"), s.StartPython("c", instance: "ic")];
        await s.WaitForBalancedAsync(members, also: () => members.All(m => m.Assignment.Count == 2));
        await s.WaitForAllReadAsync();
        var owned = members[2].Assignment.ToHashSet();
        var others = members[..2];
        var eventsBefore = others.ToDictionary(m => m.Name, m => m.Count("ASSIGNED") + m.Count("REVOKED"));

        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        members[2].Kill();
        var restarted = s.StartPython("c2", instance: "ic");
        var back = await s.WaitUntilAsync(() => restarted.Assignment.SetEquals(owned),
            TimeSpan.FromMilliseconds(GroupScenario.SessionTimeoutMs * 2), $"c2 owning [{string.Join(',', owned)}]");
        output.WriteLine($"restarted static member owned its partitions again after {back.TotalMilliseconds:0} ms");

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();
        // A negative check needs a window: past the killed process's session timeout, an expiry of its old
        // member id (had the coordinator kept it) would have rebalanced the others.
        var window = TimeSpan.FromMilliseconds(GroupScenario.SessionTimeoutMs + 2000);
        await s.WaitUntilAsync(() => sinceKill.Elapsed > window, window * 2, "the old session's timeout to pass");
        Assert.All(others, m => Assert.Equal(eventsBefore[m.Name], m.Count("ASSIGNED") + m.Count("REVOKED")));
        await s.StopAllAsync(); // closing revokes each member's partitions, so the check above comes first
        s.AssertExactlyEverythingRead();
    }
}
