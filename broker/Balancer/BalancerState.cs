namespace KafkaOperator.Balancer;

/// <summary>
/// The cluster as the planner changes it: brokers and partitions by dense index (brokers by id, partitions by topic and
/// number, so the same input always gives the same plan), per-broker loads, and each broker's replicas ordered by size
/// so that a replica of a wanted size is found without scanning them all.
/// </summary>
internal sealed partial class BalancerState
{
    public readonly int[] BrokerIds;
    public readonly int[] RackOf;
    public readonly string?[] RackName;
    public readonly bool[] IsTarget;
    public readonly int[] Targets;
    public readonly BalancerPartition[] Partitions;
    public readonly int[][] Replicas;
    public readonly long[] Size;
    public readonly int[] RequiredRacks;
    public readonly int[] Count;
    public readonly int[] Leaders;
    public readonly long[] Bytes;
    public readonly SizeIndex[] OnBroker;

    public BalancerState(BalanceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var remove = new HashSet<int>(request.RemoveBrokers ?? []);
        var live = new Dictionary<int, string?>();
        foreach (var b in request.Brokers)
        {
            if (!live.TryAdd(b.Id, b.Rack))
                throw new BalancerException($"Broker {b.Id} is listed twice.");
        }
        foreach (var id in request.AddBrokers ?? [])
        {
            if (!live.ContainsKey(id))
                throw new BalancerException($"Broker {id} to add is not among the brokers.");
            if (remove.Contains(id))
                throw new BalancerException($"Broker {id} is both added and removed.");
        }
        var ids = new HashSet<int>(live.Keys);
        foreach (var p in request.Partitions)
        {
            foreach (var r in p.Replicas)
                ids.Add(r);
        }
        BrokerIds = [.. ids];
        Array.Sort(BrokerIds);
        var index = new Dictionary<int, int>();
        for (var i = 0; i < BrokerIds.Length; i++)
            index[BrokerIds[i]] = i;

        // Racks by name in ordinal order; a broker that is not live gets a rack of its own (its replicas all leave).
        var rackNames = live.Values.Select(r => r ?? "").Distinct().Order(StringComparer.Ordinal).ToList();
        RackOf = new int[BrokerIds.Length];
        RackName = new string?[BrokerIds.Length];
        IsTarget = new bool[BrokerIds.Length];
        for (var i = 0; i < BrokerIds.Length; i++)
        {
            var id = BrokerIds[i];
            if (live.TryGetValue(id, out var rack))
            {
                RackOf[i] = rackNames.IndexOf(rack ?? "");
                RackName[i] = rack;
                IsTarget[i] = !remove.Contains(id);
            }
            else
            {
                RackOf[i] = rackNames.Count + i;
            }
        }
        Targets = [.. Enumerable.Range(0, BrokerIds.Length).Where(i => IsTarget[i])];
        var targetRacks = Targets.Select(t => RackOf[t]).Distinct().Count();

        Partitions = InOrder(request.Partitions);
        Replicas = new int[Partitions.Length][];
        Size = new long[Partitions.Length];
        RequiredRacks = new int[Partitions.Length];
        Count = new int[BrokerIds.Length];
        Leaders = new int[BrokerIds.Length];
        Bytes = new long[BrokerIds.Length];
        for (var p = 0; p < Partitions.Length; p++)
        {
            var partition = Partitions[p];
            var replicas = new int[partition.Replicas.Count];
            for (var r = 0; r < replicas.Length; r++)
                replicas[r] = index[partition.Replicas[r]];
            if (replicas.Length == 0 || HasDuplicate(replicas))
                throw new BalancerException($"Partition {partition.Topic}-{partition.Partition} has no replicas or a broker twice.");
            if (replicas.Length > Targets.Length)
                throw new BalancerException($"Partition {partition.Topic}-{partition.Partition} has {replicas.Length} replicas but only {Targets.Length} broker(s) would be left.");
            Replicas[p] = replicas;
            Size[p] = Math.Max(0, partition.SizeBytes);
            // Never fewer racks than now, unless the racks left cannot give that many (a whole rack removed).
            RequiredRacks[p] = Math.Min(RackCount(replicas), Math.Min(replicas.Length, targetRacks));
            for (var r = 0; r < replicas.Length; r++)
            {
                Count[replicas[r]]++;
                Bytes[replicas[r]] += Size[p];
                if (r == 0)
                    Leaders[replicas[r]]++;
            }
        }
        var order = new SizeOrder(Size);
        OnBroker = new SizeIndex[BrokerIds.Length];
        for (var i = 0; i < BrokerIds.Length; i++)
            OnBroker[i] = new SizeIndex(order);
        for (var p = 0; p < Replicas.Length; p++)
        {
            foreach (var b in Replicas[p])
                OnBroker[b].Add(p);
        }
    }

    /// <summary>
    /// Partitions by topic name (ordinal) and number: one primitive sort on (topic rank, number) keys, since sorting
    /// 100,000 partitions by comparing their names took longer than a whole plan.
    /// </summary>
    private static BalancerPartition[] InOrder(IReadOnlyList<BalancerPartition> partitions)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in partitions)
            rank.TryAdd(p.Topic, 0);
        var names = rank.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
            rank[names[i]] = i;
        var keys = new long[partitions.Count];
        var sorted = new BalancerPartition[partitions.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = partitions[i];
            // Partition numbers are never negative; the offset keeps a bad one's order the same as before.
            keys[i] = ((long)rank[sorted[i].Topic] << 33) + sorted[i].Partition + (1L << 31);
        }
        Array.Sort(keys, sorted);
        return sorted;
    }

    private static bool HasDuplicate(int[] replicas)
    {
        for (var i = 1; i < replicas.Length; i++)
        {
            if (Array.IndexOf(replicas, replicas[i], 0, i) >= 0)
                return true;
        }
        return false;
    }

    public int RackCount(int[] replicas)
    {
        var distinct = 0;
        for (var i = 0; i < replicas.Length; i++)
        {
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
                seen = RackOf[replicas[j]] == RackOf[replicas[i]];
            if (!seen)
                distinct++;
        }
        return distinct;
    }

    /// <summary>Racks partition p would span with the replica on <paramref name="from"/> replaced by <paramref name="to"/>.</summary>
    public int RackCountAfter(int p, int from, int to)
    {
        var replicas = Replicas[p];
        var distinct = 0;
        for (var i = 0; i < replicas.Length; i++)
        {
            var rack = RackOf[replicas[i] == from ? to : replicas[i]];
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
                seen = RackOf[replicas[j] == from ? to : replicas[j]] == rack;
            if (!seen)
                distinct++;
        }
        return distinct;
    }

    public bool Holds(int p, int broker) => OnBroker[broker].Contains(p);

    /// <summary>Whether partition p's replica on <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public bool CanMove(int p, int from, int to) =>
        IsTarget[to] && !Holds(p, to) && RackCountAfter(p, from, to) >= RequiredRacks[p];

    /// <summary>Moves partition p's replica from one broker to another, in the same position of its replica list.</summary>
    public void Move(int p, int from, int to)
    {
        var position = Array.IndexOf(Replicas[p], from);
        Replicas[p][position] = to;
        Count[from]--;
        Bytes[from] -= Size[p];
        if (position == 0)
            Leaders[from]--;
        OnBroker[from].Remove(p);
        Add(p, to, position == 0);
    }

    /// <summary>Partition p's replicas on a broker, nearest in size to a pivot first.</summary>
    public OutwardCursor Nearest(int broker, long pivot) => new(OnBroker[broker], pivot);

    private void Add(int p, int broker, bool leader)
    {
        Count[broker]++;
        Bytes[broker] += Size[p];
        if (leader)
            Leaders[broker]++;
        OnBroker[broker].Add(p);
    }


    public List<BrokerLoad> Loads() =>
        [.. Enumerable.Range(0, BrokerIds.Length)
            .Where(b => IsTarget[b] || Count[b] > 0)
            .Select(b => new BrokerLoad(BrokerIds[b], RackName[b], Count[b], Leaders[b], Bytes[b]))];

    public BalanceMeasures Measures()
    {
        var loads = Targets.Select(b => new BrokerLoad(BrokerIds[b], RackName[b], Count[b], Leaders[b], Bytes[b])).ToList();
        var minRacks = Replicas.Length == 0 ? 0 : Replicas.Min(RackCount);
        return BalanceMeasures.Of(loads, minRacks);
    }

    public long ByteSpread()
    {
        long max = long.MinValue, min = long.MaxValue;
        foreach (var t in Targets)
        {
            max = Math.Max(max, Bytes[t]);
            min = Math.Min(min, Bytes[t]);
        }
        return Targets.Length == 0 ? 0 : max - min;
    }

    /// <summary>The largest and smallest bytes over the target brokers other than a and b.</summary>
    public (long Max, long Min) BytesExcept(int a, int b)
    {
        long max = long.MinValue, min = long.MaxValue;
        foreach (var t in Targets)
        {
            if (t == a || t == b)
                continue;
            max = Math.Max(max, Bytes[t]);
            min = Math.Min(min, Bytes[t]);
        }
        return (max, min);
    }
}
