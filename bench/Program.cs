using System.Globalization;

namespace KafkaOperator.Bench;

/// <summary>
/// `make bench` helpers (scripts/bench.sh drives them): a raw-protocol produce latency probe and this machine's
/// limits (sequential disk writes with periodic fdatasync, loopback TCP). Each command prints one JSON line.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            return Usage();
        }

        var options = ParseOptions(args.AsSpan(1));
        try
        {
            var json = args[0] switch
            {
                "latency" => Probes.LatencyProbe.Run(
                    options.GetValueOrDefault("bootstrap") ?? throw new ArgumentException("--bootstrap host:port is required"),
                    options.GetValueOrDefault("topic") ?? "bench-latency",
                    Int(options, "rate", 1000),
                    Int(options, "seconds", 10),
                    Int(options, "size", 100),
                    (short)Int(options, "acks", 1)),
                "latency-floor" => Probes.LatencyProbe.Run(
                    Probes.NullResponder.Start("bench-latency"),
                    "bench-latency",
                    Int(options, "rate", 1000),
                    Int(options, "seconds", 10),
                    Int(options, "size", 100),
                    1),
                "disk" => Probes.DiskProbe.Run(
                    options.GetValueOrDefault("dir") ?? Path.GetTempPath(),
                    Long(options, "mib", 2048) << 20,
                    Long(options, "sync-mib", 64) << 20),
                "loopback" => Probes.LoopbackProbe.Run(Int(options, "seconds", 3)),
                _ => null,
            };
            if (json == null)
            {
                return Usage();
            }

            Console.WriteLine(json);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            Console.Error.WriteLine($"bench {args[0]}: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: KafkaOperator.Bench latency --bootstrap H:P [--topic T] [--rate 1000] [--seconds 10] [--size 100] [--acks 1]
                   KafkaOperator.Bench latency-floor [--rate 1000] [--seconds 10] [--size 100]
                   KafkaOperator.Bench disk [--dir D] [--mib 2048] [--sync-mib 64]
                   KafkaOperator.Bench loopback [--seconds 3]
            """);
        return 2;
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument {args[i]}");
            }

            options[args[i][2..]] = args[i + 1];
        }

        return options;
    }

    private static int Int(Dictionary<string, string> o, string name, int fallback) =>
        o.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static long Long(Dictionary<string, string> o, string name, long fallback) =>
        o.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
