using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// How fast a broker's leaderships move when it stops (SIGTERM: controlled shutdown) or dies (SIGKILL: fenced
/// after broker.session.timeout.ms): signals the broker, then asks another broker for the topic's metadata in a
/// tight loop until no partition is led by the signalled broker and none is without a leader. Another broker,
/// because what matters is what clients are told; the signalled one may answer from a stale view or not at all.
/// Then, since a leader named in the metadata may not have taken the role yet, one acks=all record to a moved
/// partition on each new leader: the time until all are acknowledged is when the moved partitions are writable.
/// </summary>
public static class LeadershipProbe
{
    private static readonly ApiVersionRange MetadataVersions = new(1, 12);

    public static async Task<string> RunAsync(string bootstrap, string topic, int broker, int observerId, Dictionary<int, int> pids,
        int signal, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        await using var cluster = await KafkaCluster.ConnectAsync(ClusterOptions.For(bootstrap, TimeSpan.FromSeconds(10)), cts.Token);
        var before = await cluster.GetTopicAsync(topic, refresh: true, cts.Token);
        var controller = cluster.Metadata.ControllerId;
        // The broker asked for, or (-1) the one other than the active controller that leads the most partitions.
        var victim = broker >= 0
            ? broker
            : before.Partitions.Where(p => p.LeaderId >= 0 && p.LeaderId != controller)
                .GroupBy(p => p.LeaderId).OrderByDescending(g => g.Count()).First().Key;
        var led = before.Partitions.Count(p => p.LeaderId == victim);
        // Preferably neither the signalled broker nor the controller: its view comes through metadata replication,
        // as most clients' does.
        var others = cluster.Metadata.Brokers.Where(b => b.NodeId != victim).ToList();
        var observerNode = (observerId >= 0 ? others.FirstOrDefault(b => b.NodeId == observerId) : others.FirstOrDefault(b => b.NodeId != controller))
            ?? others.FirstOrDefault() ?? throw new ArgumentException("no other broker to observe from");
        var pid = ClusterOptions.PidOf(pids, victim);
        await using var observer = await KafkaConnection.ConnectAsync(observerNode.Host, observerNode.Port,
            new KafkaConnectionOptions { ClientId = "ko-bench", RequestTimeout = TimeSpan.FromSeconds(10) }, cts.Token);
        var request = new MetadataRequest
        {
            AllowAutoTopicCreation = false,
            Topics = [new MetadataRequest.MetadataRequestTopic { Name = topic }],
        };
        // One round trip first, so the connection and the codec are warm when the clock runs.
        _ = await observer.SendAsync<MetadataRequest, MetadataResponse>(request, MetadataVersions, cts.Token);
        await using var producer = await AckedWrites.CreateAsync(bootstrap, cts.Token);

        var signalledAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var signalledAt = Stopwatch.GetTimestamp();
        Signals.Send(pid, signal);
        var exited = WaitForExitAsync(pid, signalledAt, cts.Token);
        double? firstMoveMs = null;
        double? fencedMs = null;
        var polls = 0;
        List<MetadataResponse.MetadataResponsePartition> partitions;
        while (true)
        {
            var response = await observer.SendAsync<MetadataRequest, MetadataResponse>(request, MetadataVersions, cts.Token);
            polls++;
            // Metadata lists live brokers only: the signalled one leaves the list once its fencing is committed.
            if (fencedMs is null && response.Brokers.All(b => b.NodeId != victim))
            {
                fencedMs = Stopwatch.GetElapsedTime(signalledAt).TotalMilliseconds;
            }

            partitions = response.Topics.Single(t => t.Name == topic).Partitions;
            var stillLed = partitions.Count(p => p.LeaderId == victim);
            if (stillLed < led && firstMoveMs is null)
            {
                firstMoveMs = Stopwatch.GetElapsedTime(signalledAt).TotalMilliseconds;
            }

            if (stillLed == 0 && partitions.All(p => p.LeaderId >= 0))
            {
                break;
            }
        }

        var movedAt = Stopwatch.GetTimestamp();
        var movedMs = Stopwatch.GetElapsedTime(signalledAt, movedAt).TotalMilliseconds;
        var movedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var wasLed = before.Partitions.Where(p => p.LeaderId == victim).Select(p => p.Partition).ToHashSet();
        var samples = partitions.Where(p => wasLed.Contains(p.PartitionIndex)).GroupBy(p => p.LeaderId)
            .Select(g => g.First().PartitionIndex).ToList();
        var writes = await Task.WhenAll(samples.Select(async p =>
        {
            while (!await AckedWrites.TryProduceAsync(producer, topic, p, cts.Token))
            {
            }

            return Stopwatch.GetElapsedTime(signalledAt).TotalMilliseconds;
        }));
        var writableMs = writes.Length > 0 ? writes.Max() : movedMs;
        // A stopping broker's own exit is part of the story (SIGTERM: it waits to lead nothing, then flushes).
        var exitMs = await exited;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"leaders-moved\",\"topic\":\"{topic}\",\"partitions\":{before.Partitions.Count},\"broker\":{victim}," +
            $"\"was_controller\":{(victim == controller ? "true" : "false")},\"observer\":{observerNode.NodeId},\"signal\":{signal}," +
            $"\"led_before\":{led},\"fenced_ms\":{(fencedMs is { } f ? f.ToString("0", CultureInfo.InvariantCulture) : "null")}," +
            $"\"first_move_ms\":{firstMoveMs ?? movedMs:0},\"moved_ms\":{movedMs:0},\"writable_ms\":{writableMs:0}," +
            $"\"write_samples\":{samples.Count}," +
            $"\"signalled_at_us\":{Micros(signalledAt)},\"moved_at_us\":{Micros(movedAt)}," +
            $"\"signalled_at_unix_ms\":{signalledAtUnixMs},\"moved_at_unix_ms\":{movedAtUnixMs},\"exit_ms\":{exitMs:0},\"polls\":{polls}}}");
    }

    /// <summary>The monotonic clock in microseconds, as the brokers' trace lines give it (one clock per machine).</summary>
    private static long Micros(long timestamp) => (long)(timestamp * (1_000_000.0 / Stopwatch.Frequency));

    private static async Task<double> WaitForExitAsync(int pid, long since, CancellationToken cancellationToken)
    {
        while (!Signals.HasExited(pid))
        {
            await Task.Delay(5, cancellationToken);
        }

        return Stopwatch.GetElapsedTime(since).TotalMilliseconds;
    }
}
