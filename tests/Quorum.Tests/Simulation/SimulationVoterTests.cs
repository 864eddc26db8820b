using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Tests.Simulation;

/// <summary>
/// Voter changes (KIP-853) in the seeded chaos: the nemesis adds and removes voters, the leader included, among its
/// crashes (which lose unflushed entries, a voter change's among them), restarts, partitions and drops; some seeds
/// snapshot every few entries too, so voter sets travel in snapshots. The same invariants hold (one leader per epoch,
/// a commit durable on a majority of the leader's voter set, committed prefixes, nothing acknowledged lost) and the
/// cluster converges once healed. 1,000 seeds here; QUORUM_SIM_SEEDS=n runs n per row.
/// </summary>
public sealed class SimulationVoterTests
{
    [Theory]
    [InlineData(3, 2, 0, 500)]
    [InlineData(5, 1, 500, 300)]
    [InlineData(1, 2, 800, 200)]
    public void ChaosWithVoterChangesKeepsCommittedEntriesAndConverges(int voters, int observers, int firstSeed, int seeds)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("QUORUM_SIM_SEEDS"), out var many) && many > 0)
        {
            firstSeed = firstSeed / seeds * many;
            seeds = many;
        }
        long acknowledged = 0, appended = 0, committed = 0, leadersRemoved = 0;
        for (var seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            var snapshots = seed % 3 == 0 ? new SnapshotPolicy(MaxBytesBetweenSnapshots: 4 * (1 + seed % 8), MaxIntervalMs: 0, Retained: 1 + seed % 2) : null;
            var sim = SimulationTests.RunOne(voters, seed, observers, snapshots, chaosMs: 3_000, voterChanges: true);
            acknowledged += sim.Acknowledged.Count;
            appended += sim.VoterChangesAppended;
            committed += sim.VoterChangesCommitted;
            leadersRemoved += sim.LeadersRemoved;
        }
        Assert.True(acknowledged > seeds * 10, $"only {acknowledged} proposals acknowledged");
        Assert.True(committed > seeds, $"only {committed} of {appended} voter changes committed in {seeds} seeds");
        Assert.True(leadersRemoved > seeds / 20, $"only {leadersRemoved} leaders removed themselves in {seeds} seeds");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ARemovedLeaderLeadsUntilTheChangeCommitsThenHandsOver(int voters)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sim = new Simulator(voters, seed);
            sim.RunChaos(1_000, nemesis: false);
            var leader = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            var epoch = leader.Core.Epoch;

            var change = leader.Core.RemoveVoter(leader.Id, sim.Now);
            Assert.True(change.ErrorCode == RaftErrors.None, $"seed {seed}: {change.Message}");
            // Appended, not committed: it still leads, and already counts the commit over the others only.
            Assert.True(leader.Core.IsLeader);
            Assert.False(leader.Core.IsVoter);
            Assert.DoesNotContain(leader.Id, leader.Core.VoterIds);

            sim.RunChaos(2_000, nemesis: false);
            var next = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            Assert.NotEqual(leader.Id, next.Id);
            Assert.True(next.Core.Epoch > epoch);
            Assert.True(next.Core.HighWatermark > change.Offset, "the removal committed");
            Assert.All(sim.Nodes, n => Assert.Equal(next.Core.Leader, n.Core.Leader));
            // The removed node follows as an observer and gets everything.
            Assert.Equal("Follower", leader.Core.Role);
            Assert.False(leader.Core.IsVoter);
            sim.RunUntil(sim.Now + 500);
            sim.CheckPrefixes();
            Assert.Equal(sim.Committed.Count, leader.Delivered.Count);
            foreach (var (offset, payload) in sim.Acknowledged)
                Assert.True(sim.Committed.TryGetValue(offset, out var entry) && entry.Payload.AsSpan().SequenceEqual(payload), $"acknowledged proposal at {offset} lost");

            // And it can be added back once caught up.
            var back = next.Core.AddVoter(new Voter(leader.Id, Guid.Empty, ""), sim.Now);
            Assert.True(back.ErrorCode == RaftErrors.None, $"seed {seed}: {back.Message}");
            sim.RunChaos(500, nemesis: false);
            Assert.True(leader.Core.IsVoter);
            Assert.Equal(voters, next.Core.VoterIds.Count);
        }
    }

    [Fact]
    public void AVoterChangeLostWithTheLeadersUnflushedWritesIsRolledBackEverywhere()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sim = new Simulator(3, seed, observers: 1);
            sim.RunChaos(1_000, nemesis: false);
            var leader = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            var observer = sim.Nodes[3];
            // Cut the leader off first, so the entry reaches nobody; the crash then loses it (never flushed: Poll
            // has not run since the append).
            sim.Isolate(leader.Id);
            var change = leader.Core.AddVoter(new Voter(observer.Id, Guid.Empty, ""), sim.Now);
            Assert.True(change.ErrorCode == RaftErrors.None, $"seed {seed}: {change.Message}");
            Assert.Contains(observer.Id, leader.Core.VoterIds);
            sim.Crash(leader);
            sim.HealAll();
            sim.RunChaos(3_000, nemesis: false);

            var next = Assert.Single(sim.Nodes, n => n.Core.IsLeader);
            Assert.All(sim.Nodes, n => Assert.DoesNotContain(observer.Id, n.Core.VoterIds));
            Assert.All(sim.Nodes, n => Assert.Equal(next.Core.Leader, n.Core.Leader));
            sim.CheckPrefixes();
        }
    }
}
