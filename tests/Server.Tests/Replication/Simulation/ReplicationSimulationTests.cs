using System.Globalization;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// Seeded chaos runs of partition replication (<see cref="ReplicationSimulator"/>). Each seed is its own test case,
/// so a failure names its seed; REPLICATION_SIM_SEED=n runs seed n alone in <see cref="Seed_from_the_environment_with_a_step_trace"/>
/// and writes its whole trace to the test output:
/// REPLICATION_SIM_SEED=42 dotnet test tests/Server.Tests --filter "FullyQualifiedName~Seed_from_the_environment" --logger "console;verbosity=detailed"
/// </summary>
public sealed class ReplicationSimulationTests(ITestOutputHelper output)
{
    public const int SeedCount = 1_000;

    /// <summary>Virtual milliseconds of faults per run (then healing): a few seconds of a real cluster's life, ~20 ms of CPU.</summary>
    private const int DefaultChaosMs = 2_000;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 0; seed < SeedCount; seed++)
            data.Add(seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Replication_keeps_acknowledged_records_through_chaos(int seed) => Run(seed, null);

    [Fact]
    public void Seed_from_the_environment_with_a_step_trace()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("REPLICATION_SIM_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 7;
        var sim = Run(seed, output.WriteLine);
        output.WriteLine($"seed {seed}: {sim}");
    }

    /// <summary>
    /// A longer soak on demand: REPLICATION_SIM_SEEDS=1000-50000 runs those seeds (without it, the 50 after the
    /// regular ones) and lists every failing seed; REPLICATION_SIM_CHAOS_MS makes each run's chaos longer.
    /// </summary>
    [Fact]
    public void Seeds_from_the_environment()
    {
        var range = (Environment.GetEnvironmentVariable("REPLICATION_SIM_SEEDS") ?? $"{SeedCount}-{SeedCount + 50}").Split('-');
        var first = int.Parse(range[0], CultureInfo.InvariantCulture);
        var last = int.Parse(range[^1], CultureInfo.InvariantCulture);
        var chaosMs = int.TryParse(Environment.GetEnvironmentVariable("REPLICATION_SIM_CHAOS_MS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? ms : DefaultChaosMs;
        var failures = new List<string>();
        for (var seed = first; seed < last; seed++)
        {
            try
            {
                Run(seed, null, chaosMs);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message.Split(Environment.NewLine)[0]);
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {last - first} seeds failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    [Fact]
    public void A_seed_replays_exactly()
    {
        var first = new List<string>();
        var second = new List<string>();
        Run(11, first.Add);
        Run(11, second.Add);
        Assert.True(first.Count > 100, $"only {first.Count} trace lines");
        Assert.Equal(first, second);
    }

    [Fact]
    public void The_seeds_exercise_every_fault_and_acknowledge_records()
    {
        var runs = Enumerable.Range(0, 24).Select(seed => Run(seed, null)).ToList();
        long Sum(Func<Summary, long> f) => runs.Sum(f);
        output.WriteLine($"24 seeds: {Sum(r => r.AckedAll)} acks=all and {Sum(r => r.AckedOne)} acks=1 records acknowledged, {Sum(r => r.Consumed)} consumed, " +
            $"{Sum(r => r.PowerLosses)} power losses, {Sum(r => r.Crashes)} crashes, {Sum(r => r.QuickRestarts)} restarts before the controller noticed, " +
            $"{Sum(r => r.LinkCuts)} link cuts, {Sum(r => r.LeaderChanges)} leader changes, {Sum(r => r.IsrShrinks)} ISR shrinks, {Sum(r => r.IsrExpansions)} expansions, " +
            $"{Sum(r => r.Truncations)} truncations ({Sum(r => r.TruncationsBelowLastEpoch)} below the follower's last epoch), {Sum(r => r.Steps)} steps");
        Assert.True(Sum(r => r.AckedAll) > 24 * 50, "few acks=all records acknowledged");
        Assert.True(Sum(r => r.Consumed) > 24 * 50, "few records consumed");
        Assert.True(Sum(r => r.PowerLosses) >= 12, "few power losses");
        Assert.True(Sum(r => r.QuickRestarts) >= 6, "few restarts within the session timeout");
        Assert.True(Sum(r => r.LinkCuts) >= 24, "few link cuts");
        Assert.True(Sum(r => r.LeaderChanges) >= 48, "few leader changes");
        Assert.True(Sum(r => r.IsrShrinks) >= 24 && Sum(r => r.IsrExpansions) >= 24, "few ISR changes");
        Assert.True(Sum(r => r.Truncations) >= 24, "few truncations");
    }

    private static Summary Run(int seed, Action<string>? trace, int chaosMs = DefaultChaosMs)
    {
        using var sim = new ReplicationSimulator(seed, trace);
        try
        {
            sim.Run(chaosMs);
        }
        catch (SimulationFailure failure)
        {
            throw new SimulationFailure($"seed {seed} ({sim.Setup}), t={sim.Now}: {failure.Message}{Environment.NewLine}" +
                $"rerun: REPLICATION_SIM_SEED={seed} (Seed_from_the_environment_with_a_step_trace){Environment.NewLine}" +
                $"recent trace:{Environment.NewLine}{sim.RecentTrace}{Environment.NewLine}{sim.State()}");
        }
        return new Summary(sim.AckedAll.Count, sim.AckedOne.Count, sim.Consumed, sim.PowerLosses, sim.Crashes, sim.QuickRestarts, sim.LinkCuts,
            sim.Controller.LeaderChanges, sim.Controller.IsrShrinks, sim.Controller.IsrExpansions, sim.Truncations, sim.TruncationsBelowLastEpoch, sim.Steps);
    }

    private sealed record Summary(long AckedAll, long AckedOne, long Consumed, int PowerLosses, int Crashes, int QuickRestarts, int LinkCuts,
        int LeaderChanges, int IsrShrinks, int IsrExpansions, int Truncations, int TruncationsBelowLastEpoch, long Steps);
}
