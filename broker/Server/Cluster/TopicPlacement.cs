namespace KafkaOperator.Server.Cluster;

/// <summary>
/// Replica placement for new partitions, as Kafka's assignment does it. Where Kafka picks the start broker and the
/// follower shift at random, a hash of the topic name picks them here, so tests and metadata replays are reproducible.
/// </summary>
public static class TopicPlacement
{
    /// <summary>
    /// Rack-unaware: leaders round robin over the brokers from a start that depends on the topic name, and the
    /// followers of each partition at a shift from its leader that grows every time the leaders wrap around the
    /// brokers, so that the partitions a broker leads have their followers spread over the others (when it stops, its
    /// leaderships move to several brokers, not all to the next one).
    /// </summary>
    public static int[][] Place(string name, int first, int count, short replicationFactor, IReadOnlyList<int> brokers)
    {
        ArgumentNullException.ThrowIfNull(brokers);
        var n = brokers.Count;
        var (start, shiftStart) = Start(name, n);
        var result = new int[count][];
        for (var i = 0; i < count; i++)
        {
            var partition = first + i;
            var leader = (start + partition) % n;
            var shift = shiftStart + (partition / n);
            var nodes = new int[replicationFactor];
            nodes[0] = brokers[leader];
            for (var r = 1; r < replicationFactor; r++)
                nodes[r] = brokers[FollowerIndex(leader, shift, r - 1, n)];
            result[i] = nodes;
        }
        return result;
    }

    /// <summary>
    /// Rack-aware (Kafka's assignReplicasToBrokersRackAware): the brokers are listed alternating racks (first broker
    /// of each rack, then the second of each, ...), leaders go round robin over that list and followers at a shift as
    /// above, skipping a broker whose rack already has a replica of the partition until every rack has one. Each
    /// partition's replicas so span min(RF, racks) racks, and replicas and leaders stay even over brokers and racks.
    /// </summary>
    public static int[][] PlaceRackAware(string name, int first, int count, short replicationFactor, IReadOnlyDictionary<int, string> racks)
    {
        ArgumentNullException.ThrowIfNull(racks);
        var byRack = racks.GroupBy(kv => kv.Value, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(kv => kv.Key).Order().ToList())
            .ToList();
        var arranged = new List<int>(racks.Count);
        for (var i = 0; arranged.Count < racks.Count; i++)
        {
            foreach (var rack in byRack)
            {
                if (i < rack.Count)
                    arranged.Add(rack[i]);
            }
        }
        var n = arranged.Count;
        var rackCount = byRack.Count;
        var (start, shiftStart) = Start(name, n);
        var result = new int[count][];
        for (var i = 0; i < count; i++)
        {
            var partition = first + i;
            var leader = (start + partition) % n;
            var shift = (shiftStart + (partition / n)) * rackCount;
            var nodes = new List<int>(replicationFactor) { arranged[leader] };
            var racksUsed = new HashSet<string>(StringComparer.Ordinal) { racks[arranged[leader]] };
            for (var k = 0; nodes.Count < replicationFactor; k++)
            {
                var broker = arranged[FollowerIndex(leader, shift, k, n)];
                if (nodes.Contains(broker) || (racksUsed.Contains(racks[broker]) && racksUsed.Count < rackCount))
                    continue;
                nodes.Add(broker);
                racksUsed.Add(racks[broker]);
            }
            result[i] = [.. nodes];
        }
        return result;
    }

    private static int FollowerIndex(int leader, int shift, int k, int n) => (leader + 1 + ((shift + k) % (n - 1))) % n;

    private static (int Start, int ShiftStart) Start(string name, int n)
    {
        var hash = (uint)StableHash(name);
        return ((int)(hash % (uint)n), n > 1 ? (int)((hash / (uint)n) % (uint)(n - 1)) : 0);
    }

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s)
            h = unchecked((h * 31) + c);
        return h;
    }
}
