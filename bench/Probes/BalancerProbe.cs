using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Balancer;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Time to plan and moves against the lower bound for a large cluster (by default 100,000 partitions, RF 3, on 50
/// brokers in 3 racks, sizes from 1 MB to 1 GB): a skewed cluster to balance (within each rack some brokers hold
/// twice as much as others), 5 brokers added to a balanced 45, and 2 brokers removed from a balanced 50. Each plan
/// is made five times after one warm-up; the fastest wall and CPU times count (the machine is shared).
/// </summary>
public static class BalancerProbe
{
    public static string Run(int partitions, int brokers, int racks)
    {
        var results = new List<string>();
        foreach (var scenario in new[] { "balance", "add", "remove" })
        {
            var request = Scenario(scenario, partitions, brokers, racks);
            var plan = ReplicaBalancer.Plan(request);
            // Wall and CPU time (the process's, so a collection on another thread counts too), each the best of five:
            // on a shared machine the wall time mostly measures the other processes.
            var best = double.MaxValue;
            var bestCpu = double.MaxValue;
            using var process = Process.GetCurrentProcess();
            for (var i = 0; i < 5; i++)
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                plan = ReplicaBalancer.Plan(request);
                best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
                process.Refresh();
                bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalMilliseconds);
            }
            var (b, a) = (plan.MeasuresBefore, plan.MeasuresAfter);
            results.Add(string.Create(CultureInfo.InvariantCulture,
                $"\"{scenario}\":{{\"plan_ms\":{best:0.0},\"plan_cpu_ms\":{bestCpu:0.0},\"moves\":{plan.ReplicaMoves},\"lower_bound\":{plan.LowerBoundMoves}," +
                $"\"leader_changes\":{plan.LeaderChanges},\"gb_moved\":{plan.BytesMoved / 1e9:0.0}," +
                $"\"replica_spread\":[{b.ReplicaSpread},{a.ReplicaSpread}],\"leader_spread\":[{b.LeaderSpread},{a.LeaderSpread}]," +
                $"\"byte_spread_gb\":[{b.ByteSpread / 1e9:0.0},{a.ByteSpread / 1e9:0.0}],\"byte_band_gb\":{plan.ByteBand / 1e9:0.0}," +
                $"\"min_rack_spread\":[{b.MinRackSpread},{a.MinRackSpread}]}}"));
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"balancer\",\"partitions\":{partitions},\"brokers\":{brokers},\"racks\":{racks},{string.Join(',', results)}}}");
    }

    private static BalanceRequest Scenario(string name, int partitions, int brokerCount, int rackCount)
    {
        var random = new Random(42);
        var brokers = Enumerable.Range(0, brokerCount).Select(i => new BalancerBroker(i, $"rack-{i % rackCount}")).ToList();
        var holding = name == "add" ? brokers.Take(brokerCount - 5).ToList() : brokers;
        // Per rack, the brokers that hold replicas; a skewed cluster weights half of them twice.
        var byRack = holding.GroupBy(b => b.Rack).Select(g => g.Select(b => b.Id).ToArray()).ToArray();
        var next = new int[byRack.Length];
        var list = new List<BalancerPartition>(partitions);
        for (var p = 0; p < partitions; p++)
        {
            var replicas = new int[3];
            for (var r = 0; r < 3; r++)
            {
                var rack = byRack[(p + r) % byRack.Length];
                int pick;
                if (name == "balance")
                {
                    pick = random.Next(rack.Length + (rack.Length / 2));
                    pick = pick >= rack.Length ? pick - rack.Length : pick;
                }
                else
                {
                    pick = next[(p + r) % byRack.Length]++ % rack.Length;
                }
                replicas[r] = rack[pick];
            }
            // Sizes spread over three orders of magnitude, as topics of different traffic have.
            var size = (long)(1e6 * Math.Pow(1000, random.NextDouble()));
            list.Add(new BalancerPartition($"topic-{p % 500}", p / 500, replicas, replicas[0], size));
        }
        return name switch
        {
            "add" => new BalanceRequest(brokers, list, AddBrokers: [.. brokers.TakeLast(5).Select(b => b.Id)]),
            "remove" => new BalanceRequest(brokers, list, RemoveBrokers: [7, 30]),
            _ => new BalanceRequest(brokers, list),
        };
    }
}
