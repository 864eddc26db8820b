using FsCheck;
using FsCheck.Fluent;

namespace KafkaOperator.Balancer.Tests;

public enum PlanMode
{
    Balance,
    Remove,
    Add,
    BrokerGone,
}

/// <summary>
/// The shape of a generated cluster (FsCheck shrinks these numbers); <see cref="Build"/> turns it into a request with
/// a skewed placement: some brokers get more replicas and bigger partitions than others.
/// </summary>
public sealed record ClusterShape(int Brokers, int Racks, int Partitions, int ReplicationFactor, bool Sized, int Skew, PlanMode Mode, int Changed, int Seed)
{
    public static Arbitrary<ClusterShape> Arbitrary(bool sized) =>
        (from brokers in Gen.Choose(1, 12)
         from racks in Gen.Choose(0, 4)
         from partitions in Gen.Choose(0, 80)
         from rf in Gen.Choose(1, Math.Min(4, brokers))
         from sizedFlag in Gen.Elements(sized ? [true, false] : new[] { false })
         from skew in Gen.Choose(0, 3)
         from mode in Gen.Elements(PlanMode.Balance, PlanMode.Remove, PlanMode.Add, PlanMode.BrokerGone)
         from changed in Gen.Choose(1, 3)
         from seed in Gen.Choose(0, 1_000_000)
         select new ClusterShape(brokers, racks, partitions, rf, sizedFlag, skew, mode, changed, seed)).ToArbitrary();

    public override string ToString() =>
        $"{Brokers} brokers, {Racks} racks, {Partitions} partitions, RF {ReplicationFactor}, sized {Sized}, skew {Skew}, {Mode} {Changed}, seed {Seed}";

    /// <summary>The request, or null when the shape leaves fewer brokers than the replication factor.</summary>
    public BalanceRequest? Build()
    {
        var random = new Random(Seed);
        var brokers = Enumerable.Range(0, Brokers)
            .Select(i => new BalancerBroker(i + 1, Racks == 0 ? null : $"rack-{random.Next(Racks)}"))
            .ToList();
        var changed = Math.Min(Changed, Brokers);
        // Brokers that hold replicas now: in Add mode the last ones are new and empty.
        var holding = Mode == PlanMode.Add ? brokers.Take(Brokers - changed).ToList() : brokers;
        if (holding.Count < ReplicationFactor)
            return null;
        var weights = holding.Select((_, i) => 1 + (Skew * (i % 3))).ToArray();
        var partitions = new List<BalancerPartition>();
        for (var p = 0; p < Partitions; p++)
        {
            var replicas = new List<int>();
            while (replicas.Count < ReplicationFactor)
            {
                var pick = Weighted(random, weights);
                if (!replicas.Contains(holding[pick].Id))
                    replicas.Add(holding[pick].Id);
            }
            var size = Sized ? (long)random.Next(0, 1000) * (1 + (Skew * (replicas[0] % 2))) : 0;
            partitions.Add(new BalancerPartition($"t{p % 3}", p / 3, replicas, replicas[0], size));
        }
        var ids = brokers.Select(b => b.Id).ToList();
        return Mode switch
        {
            PlanMode.Remove when Brokers - changed < ReplicationFactor => null,
            PlanMode.Remove => new BalanceRequest(brokers, partitions, RemoveBrokers: ids.Skip(Seed % (Brokers - changed + 1)).Take(changed).ToList()),
            PlanMode.Add => new BalanceRequest(brokers, partitions, AddBrokers: ids.TakeLast(changed).ToList()),
            PlanMode.BrokerGone when Brokers - 1 < ReplicationFactor => null,
            PlanMode.BrokerGone => new BalanceRequest([.. brokers.Where(b => b.Id != 1 + (Seed % Brokers))], partitions),
            _ => new BalanceRequest(brokers, partitions),
        };
    }

    private static int Weighted(Random random, int[] weights)
    {
        var pick = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            pick -= weights[i];
            if (pick < 0)
                return i;
        }
        return weights.Length - 1;
    }
}
