using System.Diagnostics.Metrics;
using KafkaOperator.Groups;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Replication;

namespace KafkaOperator.Server.Metrics;

/// <summary>The observable instruments: each callback reads the broker's state when Prometheus scrapes.</summary>
public sealed partial class BrokerMetrics
{
    // Kafka's BrokerState values (kafka.server:type=KafkaServer,name=BrokerState).
    private const int StateStarting = 1;
    private const int StateRecovery = 2;
    private const int StateRunning = 3;
    private const int StatePendingControlledShutdown = 6;

    private void CreateInstruments()
    {
        var m = _meter;

        // kafka.server:type=ReplicaManager: this broker's replicas.
        m.CreateObservableGauge("kafka_server_replicamanager_partitioncount", () => Replicas().Hosted, description: "Partition replicas on this broker");
        m.CreateObservableGauge("kafka_server_replicamanager_leadercount", () => Replicas().Leaders, description: "Partitions this broker leads");
        m.CreateObservableGauge("kafka_server_replicamanager_underreplicatedpartitions", () => Replicas().UnderReplicated, description: "Partitions this broker leads whose ISR is smaller than their replica set");
        m.CreateObservableGauge("kafka_server_replicamanager_underminisrpartitioncount", () => Replicas().UnderMinIsr, description: "Partitions this broker leads whose ISR is smaller than min.insync.replicas");
        m.CreateObservableCounter("kafka_server_replicamanager_isrshrinks", () => _services.Replicas.Stats.IsrShrinks, description: "ISR shrinks of partitions this broker leads");
        m.CreateObservableCounter("kafka_server_replicamanager_isrexpands", () => _services.Replicas.Stats.IsrExpands, description: "ISR expansions of partitions this broker leads");

        // kafka.controller:type=KafkaController: reported by the active controller, 0 on the others (so sum and max agree).
        m.CreateObservableGauge("kafka_controller_kafkacontroller_activecontrollercount", () => IsActiveController() ? 1 : 0, description: "1 on the active controller (the metadata quorum's leader), 0 elsewhere");
        m.CreateObservableGauge("kafka_controller_kafkacontroller_offlinepartitionscount", () => IsActiveController() ? Cluster().Offline : 0, description: "Partitions without a leader (active controller only)");
        m.CreateObservableGauge("kafka_controller_kafkacontroller_globalpartitioncount", () => IsActiveController() ? Cluster().Partitions : 0, description: "Partitions in the cluster (active controller only)");
        m.CreateObservableGauge("kafka_controller_kafkacontroller_globaltopiccount", () => IsActiveController() ? Cluster().Topics : 0, description: "Topics in the cluster (active controller only)");
        m.CreateObservableGauge("kafka_server_kafkaserver_brokerstate", BrokerState, description: "Kafka's BrokerState: 1 starting, 2 recovery (fenced), 3 running, 6 pending controlled shutdown");

        // kafka.server:type=raft-metrics, as Strimzi's rules name them (clustered brokers only).
        m.CreateObservableGauge("kafka_server_raftmetrics_current_leader", () => QuorumValue(q => q.Leader.LeaderId), description: "The metadata quorum's leader id (-1 while there is none)");
        m.CreateObservableGauge("kafka_server_raftmetrics_current_epoch", () => QuorumValue(q => q.Leader.Epoch), description: "The metadata quorum's epoch");
        m.CreateObservableGauge("kafka_server_raftmetrics_high_watermark", () => QuorumValue(q => q.HighWatermark), description: "The metadata log's high watermark as this voter knows it");

        // kafka.server:type=BrokerTopicMetrics, per topic (label topic) and for all topics (no label).
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_messagesin", () => PerTopic(c => c.MessagesIn), description: "Records appended by produce requests");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_bytesin", () => PerTopic(c => c.BytesIn), description: "Record batch bytes received from producers");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_bytesout", () => PerTopic(c => c.BytesOut), description: "Record bytes sent to consumers (not to followers)");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_failedproducerequests", () => PerTopic(c => c.FailedProduceRequests), description: "Partitions of produce requests that failed");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_failedfetchrequests", () => PerTopic(c => c.FailedFetchRequests), description: "Partitions of consumer fetch requests that failed");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_totalproducerequests", () => PerTopic(c => c.TotalProduceRequests), description: "Partitions of produce requests");
        m.CreateObservableCounter("kafka_server_brokertopicmetrics_totalfetchrequests", () => PerTopic(c => c.TotalFetchRequests), description: "Partitions of consumer fetch requests");

        // kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*
        m.CreateObservableCounter("kafka_network_requestmetrics_requests", RequestCounts, description: "Requests per API and version");

        // kafka.log:type=Log,name=Size|LogEndOffset|LogStartOffset,topic=*,partition=*: every replica here.
        m.CreateObservableGauge("kafka_log_log_size", () => PerReplica(p => p.Log.SizeInBytes, leadersOnly: false), description: "Bytes of the replica's log segments");
        m.CreateObservableGauge("kafka_log_log_logendoffset", () => PerReplica(p => p.LogEndOffset, leadersOnly: false), description: "The replica's log end offset");
        m.CreateObservableGauge("kafka_log_log_logstartoffset", () => PerReplica(p => p.LogStartOffset, leadersOnly: false), description: "The replica's log start offset");

        // Kafka Exporter's names: each partition by its leader, each group by its coordinator.
        m.CreateObservableGauge("kafka_partition_current_offset", () => PerReplica(p => p.HighWatermark, leadersOnly: true), description: "The partition's high watermark (what consumers can read), reported by its leader");
        m.CreateObservableGauge("kafka_partition_oldest_offset", () => PerReplica(p => p.LogStartOffset, leadersOnly: true), description: "The partition's log start offset, reported by its leader");
        m.CreateObservableGauge("kafka_consumergroup_current_offset", () => GroupOffsets(lag: false), description: "The group's committed offset, reported by its coordinator");
        m.CreateObservableGauge("kafka_consumergroup_lag", () => GroupOffsets(lag: true), description: "High watermark minus the group's committed offset, reported by its coordinator");
        m.CreateObservableGauge("kafka_consumergroup_lag_sum", GroupLagSums, description: "The group's lag summed over a topic's partitions, reported by its coordinator");
    }

    private readonly record struct ReplicaSummary(int Hosted, int Leaders, int UnderReplicated, int UnderMinIsr);

    private ReplicaSummary Replicas()
    {
        int hosted = 0, leaders = 0, under = 0, underMin = 0;
        foreach (var p in _services.Replicas.Hosted)
        {
            hosted++;
            var role = p.Role;
            if (!role.IsLeader)
                continue;
            leaders++;
            if (role.Isr.Length < role.Replicas.Length)
                under++;
            if (role.Isr.Length < p.Config.MinInsyncReplicas)
                underMin++;
        }
        return new ReplicaSummary(hosted, leaders, under, underMin);
    }

    private readonly record struct ClusterSummary(int Topics, int Partitions, int Offline);

    private ClusterSummary Cluster()
    {
        var image = _services.Metadata.Image;
        int partitions = 0, offline = 0;
        foreach (var topic in image.TopicsByName.Values)
        {
            partitions += topic.Partitions.Length;
            foreach (var p in topic.Partitions)
            {
                if (p.Leader < 0)
                    offline++;
            }
        }
        return new ClusterSummary(image.TopicsByName.Count, partitions, offline);
    }

    /// <summary>The quorum's leader is the active controller; a single node is its own.</summary>
    private bool IsActiveController() => _quorum is null || _quorum.Leader.LeaderId == _services.Config.NodeId;

    /// <summary>Null while the broker is RUNNING (registered at its current epoch, caught up, unfenced), else why not.</summary>
    public string? NotReadyReason() => BrokerState() switch
    {
        StateRunning => null,
        StateStarting => "starting: not registered with the controller at this broker's epoch yet",
        StateRecovery => "fenced: registered but not caught up with the metadata log",
        _ => "shutting down",
    };

    private int BrokerState()
    {
        if (_shuttingDown())
            return StatePendingControlledShutdown;
        if (_quorum is null)
            return StateRunning;
        if (!_services.Metadata.Image.Brokers.TryGetValue(_services.Config.NodeId, out var self) || self.Epoch != _quorum.BrokerEpoch)
            return StateStarting;
        if (self.ShuttingDown)
            return StatePendingControlledShutdown;
        return self.Fenced ? StateRecovery : StateRunning;
    }

    private IEnumerable<Measurement<long>> QuorumValue(Func<QuorumStatus, long> value)
    {
        if (_quorum is null)
            yield break;
        yield return new Measurement<long>(value(_quorum.Describe()));
    }

    private IEnumerable<Measurement<long>> PerTopic(Func<TopicCounters, long> value)
    {
        var image = _services.Metadata.Image;
        _services.TopicStats.Retain(name => image.TopicsByName.ContainsKey(name));
        yield return new Measurement<long>(value(_services.TopicStats.Total()));
        foreach (var (topic, counters) in _services.TopicStats.Topics)
            yield return new Measurement<long>(value(counters), new KeyValuePair<string, object?>("topic", topic));
    }

    private IEnumerable<Measurement<long>> RequestCounts()
    {
        foreach (var (key, version, count) in _requests.Counts())
        {
            yield return new Measurement<long>(count,
                new KeyValuePair<string, object?>("request", RequestStats.Name(key)),
                new KeyValuePair<string, object?>("version", (int)version));
        }
    }

    private IEnumerable<Measurement<long>> PerReplica(Func<Partitions.Partition, long> value, bool leadersOnly)
    {
        foreach (var p in _services.Replicas.Hosted)
        {
            if (leadersOnly && !p.IsLeader)
                continue;
            long v;
            try
            {
                v = value(p);
            }
            catch (ObjectDisposedException)
            {
                continue; // deleted while the scrape ran
            }
            yield return new Measurement<long>(v, new KeyValuePair<string, object?>("topic", p.Topic), new KeyValuePair<string, object?>("partition", p.Index));
        }
    }

    /// <summary>
    /// Each committed offset of this coordinator's groups with its partition's high watermark: a local replica's
    /// (a follower learns it from its leader's answers), else the leader's last answer (<see cref="RemoteEndOffsets"/>),
    /// or null until there is one.
    /// </summary>
    private IEnumerable<(string Group, TopicPartition Partition, long Committed, long? End)> GroupPositions()
    {
        GroupCoordinator coordinator;
        try
        {
            coordinator = _services.Groups.Coordinator;
        }
        catch (InvalidOperationException)
        {
            yield break; // not started yet
        }
        foreach (var listing in coordinator.ListGroups())
        {
            foreach (var (tp, committed) in coordinator.CommittedOffsets(listing.GroupId))
            {
                long? end = null;
                if (_services.Replicas.GetHosted(tp.Topic, tp.Partition) is { } partition)
                    end = partition.HighWatermark;
                else if (_remoteEnds is not null && _remoteEnds.TryGet(tp.Topic, tp.Partition, out var remote))
                    end = remote;
                yield return (listing.GroupId, tp, committed.Offset, end);
            }
        }
    }

    private IEnumerable<Measurement<long>> GroupOffsets(bool lag)
    {
        foreach (var (group, tp, committed, end) in GroupPositions())
        {
            if (lag && end is null)
                continue;
            yield return new Measurement<long>(lag ? Math.Max(0, end!.Value - committed) : committed,
                new KeyValuePair<string, object?>("consumergroup", group),
                new KeyValuePair<string, object?>("topic", tp.Topic),
                new KeyValuePair<string, object?>("partition", tp.Partition));
        }
    }

    private IEnumerable<Measurement<long>> GroupLagSums()
    {
        var sums = new Dictionary<(string, string), long>();
        foreach (var (group, tp, committed, end) in GroupPositions())
        {
            if (end is { } e)
                sums[(group, tp.Topic)] = sums.GetValueOrDefault((group, tp.Topic)) + Math.Max(0, e - committed);
        }
        foreach (var ((group, topic), sum) in sums)
            yield return new Measurement<long>(sum, new KeyValuePair<string, object?>("consumergroup", group), new KeyValuePair<string, object?>("topic", topic));
    }
}
