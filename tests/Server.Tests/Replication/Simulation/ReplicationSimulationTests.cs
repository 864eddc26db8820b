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
        long acked = 0, powerLosses = 0, crashes = 0, cuts = 0, consumed = 0;
        for (var seed = 0; seed < 24; seed++)
        {
            var sim = Run(seed, null);
            acked += sim.AckedAll;
            powerLosses += sim.PowerLosses;
            crashes += sim.Crashes;
            cuts += sim.LinkCuts;
            consumed += sim.Consumed;
        }
        output.WriteLine($"24 seeds: {acked} acks=all records acknowledged, {consumed} consumed, {powerLosses} power losses, {crashes} crashes, {cuts} link cuts");
        Assert.True(acked > 24 * 20, $"only {acked} acks=all records acknowledged");
        Assert.True(consumed > 24 * 20, $"only {consumed} records consumed");
        Assert.True(powerLosses >= 12, $"only {powerLosses} power losses");
        Assert.True(crashes >= 12, $"only {crashes} crashes");
        Assert.True(cuts >= 24, $"only {cuts} link cuts");
    }

    private static Summary Run(int seed, Action<string>? trace)
    {
        using var sim = new ReplicationSimulator(seed, trace);
        try
        {
            sim.Run();
        }
        catch (SimulationFailure failure)
        {
            throw new SimulationFailure($"seed {seed} ({sim.Setup}), t={sim.Now}: {failure.Message}{Environment.NewLine}" +
                $"rerun: REPLICATION_SIM_SEED={seed} (Seed_from_the_environment_with_a_step_trace){Environment.NewLine}" +
                $"recent trace:{Environment.NewLine}{sim.RecentTrace}{Environment.NewLine}{sim.State()}");
        }
        return new Summary(sim.AckedAll.Count, sim.AckedOne.Count, sim.Consumed, sim.PowerLosses, sim.Crashes, sim.LinkCuts, sim.Steps);
    }

    private sealed record Summary(long AckedAll, long AckedOne, long Consumed, int PowerLosses, int Crashes, int LinkCuts, long Steps);
}
