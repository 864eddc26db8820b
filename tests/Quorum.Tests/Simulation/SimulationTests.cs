using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum.Tests.Simulation;

/// <summary>
/// Seeded chaos runs: crashes that lose unflushed entries, restarts, partitions, drops. Safety is checked as the run
/// goes; then everything is healed and the cluster must converge with every acknowledged proposal committed. Rows
/// with observers (broker-only nodes) check too that they never vote or stand and never count for a commit; 1,000
/// seeds in all.
/// </summary>
public sealed class SimulationTests
{
    [Theory]
    [InlineData(3, 0, 100, 0)]
    [InlineData(3, 100, 100, 0)]
    [InlineData(5, 0, 100, 0)]
    [InlineData(3, 200, 450, 2)]
    [InlineData(5, 100, 200, 2)]
    [InlineData(1, 0, 50, 2)]
    public void ChaosKeepsCommittedEntriesAndConverges(int voters, int firstSeed, int seeds, int observers)
    {
        // QUORUM_SIM_SEEDS=n runs n seeds per row instead, the rows' ranges scaled alike (a long local run; CI
        // keeps the rows' counts).
        if (int.TryParse(Environment.GetEnvironmentVariable("QUORUM_SIM_SEEDS"), out var many) && many > 0)
        {
            firstSeed = firstSeed / seeds * many;
            seeds = many;
        }
        long steps = 0;
        long acknowledged = 0;
        for (var seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            var sim = RunOne(voters, seed, observers);
            steps += sim.Steps;
            acknowledged += sim.Acknowledged.Count;
        }
        // The runs must have exercised something: elections that commit, through the chaos.
        Assert.True(acknowledged > seeds * 10, $"only {acknowledged} proposals acknowledged in {steps} steps");
    }

    /// <summary>
    /// The same chaos with snapshots every few entries (KIP-630): logs truncated below them, lagging followers and
    /// restarted nodes brought on by a snapshot, crashes losing unflushed entries. The state machine is the list of
    /// delivered entries, so a snapshot that lost, added or changed anything breaks the committed-prefix check.
    /// </summary>
    [Theory]
    [InlineData(3, 0, 750)]
    [InlineData(5, 750, 250)]
    public void ChaosWithSnapshotsKeepsCommittedEntriesAndConverges(int voters, int firstSeed, int seeds)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("QUORUM_SIM_SEEDS"), out var many) && many > 0)
        {
            firstSeed = firstSeed / seeds * many;
            seeds = many;
        }
        long acknowledged = 0, restarts = 0, installs = 0, truncated = 0;
        for (var seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            var policy = new SnapshotPolicy(MaxBytesBetweenSnapshots: 4 * (1 + seed % 8), MaxIntervalMs: 0, Retained: 1 + seed % 2);
            var sim = RunOne(voters, seed, snapshots: policy, chaosMs: 3_000);
            acknowledged += sim.Acknowledged.Count;
            restarts += sim.Nodes.Sum(n => n.RestartsFromSnapshot);
            installs += sim.Nodes.Sum(n => n.SnapshotsInstalled);
            truncated += sim.Nodes.Count(n => n.Log.StartOffset > 0);
        }
        Assert.True(acknowledged > seeds * 10, $"only {acknowledged} proposals acknowledged");
        Assert.True(restarts > seeds / 4, $"only {restarts} restarts from a snapshot in {seeds} seeds");
        Assert.True(installs > seeds / 4, $"only {installs} snapshots installed from a leader in {seeds} seeds");
        Assert.True(truncated > seeds, $"only {truncated} logs truncated below a snapshot in {seeds} seeds");
    }

    [Fact]
    public void ASeedReplaysExactly()
    {
        var a = RunOne(3, 7);
        var b = RunOne(3, 7);
        Assert.Equal(a.Steps, b.Steps);
        Assert.Equal(a.Committed.Keys, b.Committed.Keys);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ANodeCutOffFromALiveLeaderRejoinsWithoutChangingTheEpoch(int voters)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sim = new Simulator(voters, seed);
            sim.RunChaos(2_000, nemesis: false);
            var leader = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            var before = leader.Core.Leader;
            var isolated = sim.Nodes.First(n => n != leader);

            // Ten fetch timeouts alone: it keeps asking for pre-votes that never arrive, and never bumps the epoch.
            sim.Isolate(isolated.Id);
            sim.RunChaos(3_000, nemesis: false);
            Assert.Equal(before.Epoch, isolated.Core.Epoch);
            Assert.All(sim.Nodes.Where(n => n != isolated), n => Assert.Equal(before, n.Core.Leader));

            // Healed: its pre-votes are refused (the leader is live), it follows the leader of the same epoch again.
            sim.HealAll();
            sim.RunChaos(1_000, nemesis: false);
            sim.RunUntil(sim.Now + 500);
            Assert.All(sim.Nodes, n => Assert.Equal(before, n.Core.Leader));
            sim.CheckPrefixes();
            Assert.Equal(sim.Committed.Count, isolated.Delivered.Count);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ACrashedLeaderThatStaysDownIsReplaced(int voters)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sim = new Simulator(voters, seed);
            sim.RunChaos(2_000, nemesis: false);
            var leader = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            var epoch = leader.Core.Epoch;

            // Its followers time out together and ask each other for pre-votes; each has heard from the dead leader
            // as recently as the other, so none may send the other back to it.
            sim.Crash(leader);
            sim.RunChaos(3_000, nemesis: false);
            var next = Assert.Single(sim.Nodes, n => n.Alive && n.Core.IsLeader);
            Assert.True(next.Core.Epoch > epoch, $"seed {seed}: epoch {next.Core.Epoch}");
            Assert.All(sim.Nodes.Where(n => n.Alive), n => Assert.Equal(next.Core.Leader, n.Core.Leader));
        }
    }

    internal static Simulator RunOne(int voters, int seed, int observers = 0, SnapshotPolicy? snapshots = null, int chaosMs = 8_000, bool voterChanges = false)
    {
        var sim = new Simulator(voters, seed, observers, snapshots) { VoterChanges = voterChanges };
        try
        {
            sim.RunChaos(chaosMs, nemesis: true);
            sim.CheckPrefixes();
            sim.HealAll();
            sim.RunChaos(4_000, nemesis: false);
            var leaders = sim.Nodes.Where(n => n.Core.IsLeader).ToList();
            Assert.Single(leaders);
            var leader = leaders[0];
            Assert.All(sim.Nodes, n => Assert.Equal(leader.Core.Leader, n.Core.Leader));

            var last = sim.ProposeOnLeader();
            Assert.NotNull(last);
            sim.RunUntil(sim.Now + 1_000);
            sim.CheckPrefixes();
            var committed = sim.Committed;
            Assert.Equal(last, committed.Values.Last().Payload);
            Assert.All(sim.Nodes, n => Assert.Equal(committed.Count, n.Delivered.Count));
            foreach (var (offset, payload) in sim.Acknowledged)
                Assert.True(committed.TryGetValue(offset, out var entry) && entry.Payload.AsSpan().SequenceEqual(payload), $"acknowledged proposal at {offset} lost");
            return sim;
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"{voters} voters, {observers} observers, seed {seed}, t={sim.Now}: {ex.Message}", ex);
        }
    }
}
