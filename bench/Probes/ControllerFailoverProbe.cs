using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// kill -9 of the active controller (the metadata quorum's leader, found with DescribeQuorum) of a cluster holding
/// many partitions, then, from a surviving broker: (1) when a surviving voter reports a new quorum leader in a
/// higher epoch, (2) when a metadata change commits again (a one-partition topic created through the survivors,
/// retried until it succeeds), (3) when Metadata no longer lists the killed broker (its fencing, after
/// broker.session.timeout.ms) and (4) when it leads none of the topics named with <c>prefix</c> and none is without
/// a leader. The survivors are asked directly, because a client's cached metadata keeps sending to the dead one.
/// </summary>
public static class ControllerFailoverProbe
{
    private static readonly ApiVersionRange MetadataVersions = new(1, 12);

    public static async Task<string> RunAsync(string bootstrap, string prefix, Dictionary<int, int> pids, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var ct = cts.Token;
        int victim, epoch;
        List<BrokerNode> survivors;
        Dictionary<int, int> ledBefore;
        await using (var admin = await KafkaAdminClient.ConnectAsync(ClusterOptions.For(bootstrap, TimeSpan.FromSeconds(30)), ct))
        {
            var quorum = await admin.DescribeQuorumAsync(ct);
            (victim, epoch) = (quorum.LeaderId, quorum.LeaderEpoch);
            survivors = [.. admin.Cluster.Metadata.Brokers.Where(b => b.NodeId != victim)];
            ledBefore = ManyTopicsProbe.LeadersByBroker(await admin.Cluster.FetchMetadataAsync(null, ct), prefix);
        }

        if (survivors.Count == 0)
        {
            throw new ArgumentException("no broker besides the controller to observe from");
        }

        var options = new KafkaConnectionOptions { ClientId = "ko-bench", RequestTimeout = TimeSpan.FromSeconds(30) };
        await using var observer = await KafkaConnection.ConnectAsync(survivors[0].Host, survivors[0].Port, options, ct);
        var describe = new DescribeQuorumRequest
        {
            Topics = [new() { TopicName = KafkaAdminClient.MetadataTopic, Partitions = [new() { PartitionIndex = 0 }] }],
        };
        var metadataRequest = new MetadataRequest { AllowAutoTopicCreation = false, Topics = null };
        var survivorBootstrap = string.Join(',', survivors.Select(b => $"{b.Host}:{b.Port}"));

        var killedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var killedAt = Stopwatch.GetTimestamp();
        Signals.Send(ClusterOptions.PidOf(pids, victim), Signals.Kill);

        // (1) A new leader: the survivor learns it by voting or from its BeginQuorumEpoch.
        int newLeader, newEpoch;
        while (true)
        {
            var response = await observer.SendAsync<DescribeQuorumRequest, DescribeQuorumResponse>(describe, (ApiVersionRange?)null, ct);
            var p = response.Topics.SelectMany(t => t.Partitions).FirstOrDefault();
            if (p is not null && p.LeaderId >= 0 && p.LeaderId != victim && p.LeaderEpoch > epoch)
            {
                (newLeader, newEpoch) = (p.LeaderId, p.LeaderEpoch);
                break;
            }

            await Task.Delay(5, ct);
        }

        var electedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;

        // (2) A commit: each attempt on a fresh client bootstrapped on the survivors, so no cached controller id is reused.
        var attempts = 0;
        while (true)
        {
            attempts++;
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                await using var admin = await KafkaAdminClient.ConnectAsync(ClusterOptions.For(survivorBootstrap, TimeSpan.FromSeconds(10)), attempt.Token);
                // Not named with the prefix: its one replica may be placed on the killed broker (not fenced yet), and
                // stay leaderless, which (4) must not wait for.
                var result = await admin.CreateTopicsAsync([new NewTopic($"failover-commit-{prefix}", 1, 1)], cancellationToken: attempt.Token);
                if (result[0].Error is null || result[0].Error!.Code == ErrorCode.TopicAlreadyExists)
                {
                    break;
                }
            }
            catch (Exception e) when (e is KafkaException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
            }

            await Task.Delay(5, ct);
        }

        var committedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;

        // (3) and (4): the fencing and the moved leaderships, as a client of a survivor sees them.
        double? fencedMs = null;
        var polls = 0;
        while (true)
        {
            var response = await observer.SendAsync<MetadataRequest, MetadataResponse>(metadataRequest, MetadataVersions, ct);
            polls++;
            if (fencedMs is null && response.Brokers.All(b => b.NodeId != victim))
            {
                fencedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
            }

            var led = ManyTopicsProbe.LeadersByBroker(response, prefix);
            if (led.GetValueOrDefault(victim) == 0 && led.GetValueOrDefault(-1) == 0)
            {
                break;
            }
        }

        var movedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"controller-failover\",\"killed_broker\":{victim},\"old_epoch\":{epoch},\"new_leader\":{newLeader},\"new_epoch\":{newEpoch}," +
            $"\"led_before\":{ledBefore.GetValueOrDefault(victim)},\"elected_ms\":{electedMs:0},\"committed_ms\":{committedMs:0},\"commit_attempts\":{attempts}," +
            $"\"fenced_ms\":{(fencedMs is { } f ? f.ToString("0", CultureInfo.InvariantCulture) : "null")},\"moved_ms\":{movedMs:0},\"metadata_polls\":{polls}," +
            $"\"killed_at_unix_ms\":{killedAtUnixMs},\"moved_at_unix_ms\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}");
    }
}
