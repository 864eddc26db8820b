namespace KafkaOperator.Balancer;

/// <summary>
/// Plans replica moves that even out replica count, preferred-leader count and bytes per broker, in that order of
/// priority, with few moves and never fewer racks per partition than it has (or than the racks left allow):
/// <list type="number">
/// <item>replicas on removed (or unknown) brokers go to the allowed target with the fewest replicas;</item>
/// <item>count moves, each from a broker with at least two more replicas than the receiver and each bringing the
/// counts closer to the band [floor(avg), ceil(avg)] (so there are at most twice the lower bound of them; exactly the
/// lower bound when racks do not get in the way); of the replicas that may move, the one whose size best evens the two
/// brokers' bytes, never past the byte spread the cluster had or the byte band;</item>
/// <item>byte moves and swaps that keep every broker's replica count, from the fullest to the emptiest broker, until
/// the byte spread is within the band or a budget of relocations (the lower bound plus two per broker) is spent;</item>
/// <item>preferred leaders chosen among each partition's final replicas by cost-reducing paths (an optimal
/// semi-matching: no chain of leadership hand-overs can lower the busiest broker's count), which moves no data.</item>
/// </list>
/// Same input, same plan: every choice breaks ties by broker id and partition order.
/// </summary>
public static class ReplicaBalancer
{
    /// <summary>A broker's bytes count as balanced within this fraction of the average, or the largest partition if larger.</summary>
    public const double ByteBandFraction = 0.10;

    public static BalancePlan Plan(BalanceRequest request)
    {
        var state = new BalancerState(request);
        var original = state.Replicas.Select(r => (int[])r.Clone()).ToArray();
        var beforeLoads = state.Loads();
        var before = state.Measures();
        var lowerBound = state.LowerBoundMoves();
        var band = state.ByteBand(ByteBandFraction);

        state.Evacuate();
        var evacuated = state.Measures();
        var byteCap = Math.Max(evacuated.ByteSpread, band);
        state.BalanceCounts(byteCap);
        state.BalanceBytes(band, (2 * state.Targets.Length) + (lowerBound / 10));
        state.BalanceLeaders();

        var moves = new List<PartitionMove>();
        int replicaMoves = 0, leaderChanges = 0;
        long bytesMoved = 0;
        for (var p = 0; p < original.Length; p++)
        {
            var target = state.Replicas[p];
            if (target.AsSpan().SequenceEqual(original[p]))
                continue;
            var partition = state.Partitions[p];
            var move = new PartitionMove(
                partition.Topic,
                partition.Partition,
                [.. original[p].Select(b => state.BrokerIds[b])],
                [.. target.Select(b => state.BrokerIds[b])]);
            moves.Add(move);
            replicaMoves += move.ReplicasAdded;
            bytesMoved += move.ReplicasAdded * state.Size[p];
            if (target[0] != original[p][0])
                leaderChanges++;
        }
        return new BalancePlan(moves, beforeLoads, state.Loads(), before, evacuated, state.Measures(),
            replicaMoves, bytesMoved, leaderChanges, lowerBound, band);
    }
}
