using System.Globalization;
using KafkaOperator.Client;

namespace KafkaOperator.Bench.Probes;

/// <summary>Client settings and arguments shared by the probes that drive a cluster.</summary>
internal static class ClusterOptions
{
    public static KafkaClientOptions For(string bootstrap, TimeSpan requestTimeout) => new()
    {
        BootstrapServers = bootstrap.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        ClientId = "ko-bench",
        RequestTimeout = requestTimeout,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>"0=1234,1=1235": broker id to the pid of its process on this machine.</summary>
    public static Dictionary<int, int> ParsePids(string pids)
    {
        var map = new Dictionary<int, int>();
        foreach (var entry in pids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=');
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                throw new ArgumentException($"--pids takes broker=pid pairs (0=1234,1=1235), not {pids}");
            }

            map[id] = pid;
        }

        return map;
    }

    public static int PidOf(Dictionary<int, int> pids, int brokerId) =>
        pids.TryGetValue(brokerId, out var pid) ? pid : throw new ArgumentException($"--pids names no process for broker {brokerId}");
}
