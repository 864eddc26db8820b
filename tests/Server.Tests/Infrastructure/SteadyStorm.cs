using KafkaOperator.Client.Admin;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// The <see cref="DurabilityStorm"/> at a steady rate for as long as a test's disruption lasts, read by a
/// <see cref="GroupAudit"/> consumer group: a fixed count at full speed can be written before a move even starts,
/// while this one is still writing when the test has seen what it waits for. The rate keeps every partition busy and
/// lets the group keep up on a loaded machine.
/// </summary>
public sealed class SteadyStorm : IDisposable
{
    private readonly string _topic;

    private SteadyStorm(RunningScript storm, string topic, string dir)
    {
        Storm = storm;
        _topic = topic;
        Dir = dir;
    }

    public RunningScript Storm { get; }

    /// <summary>Where the acknowledgements, the group's records and the stop file go (beside the brokers' data dirs).</summary>
    public string Dir { get; }

    public string AckFile => Path.Combine(Dir, $"acks-{_topic}.txt");

    private string StopFile => Path.Combine(Dir, $"stop-{_topic}");

    /// <summary>Starts the storm and returns once <paramref name="marker"/> records are acknowledged.</summary>
    public static async Task<SteadyStorm> StartAsync(string python, BrokerCluster cluster, string topic, int rate = 3000, int marker = 2000,
        (int Partitions, int Rf, int? MinIsr)? create = null)
    {
        var dir = Path.GetFullPath(Path.Combine(cluster.Brokers[0].DataDir, ".."));
        var storm = DurabilityStorm.Start(python, cluster, topic, Path.Combine(dir, $"acks-{topic}.txt"), marker, 0, create,
            stopFile: Path.Combine(dir, $"stop-{topic}"), rate: rate);
        var steady = new SteadyStorm(storm, topic, dir);
        try
        {
            await storm.WaitForLineAsync("ACKED", TimeSpan.FromSeconds(90 * Eventually.Scale));
            return steady;
        }
        catch
        {
            steady.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Once <paramref name="more"/> records more are acknowledged (writes go on after the last move), stops the storm;
    /// then every acknowledged record must be in the log once at its offset, and the group must have read them all
    /// without reading again what it had committed.
    /// </summary>
    public async Task FinishAsync(BrokerCluster cluster, ITestOutputHelper output, GroupAudit group, KafkaAdminClient admin, int more = 2000)
    {
        var now = DurabilityStorm.AckedSoFar(AckFile);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => Task.FromResult(DurabilityStorm.AckedSoFar(AckFile)), n => n >= now + more,
            $"{more} more records acknowledged after the disruption");
        await File.WriteAllTextAsync(StopFile, "");
        var acked = DurabilityStorm.AssertOk(await Storm.WaitForExitAsync(TimeSpan.FromMinutes(3)), Storm, cluster);
        await DurabilityStorm.VerifyAsync(RepoPaths.Python, cluster, _topic, output, acked, acked, $"{DurabilityStorm.Phase}={AckFile}");
        await group.FinishAndVerifyAsync(admin, AckFile);
    }

    public void Dispose() => Storm.Dispose();
}
