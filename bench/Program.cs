using System.Globalization;

namespace KafkaOperator.Bench;

/// <summary>
/// `make bench` helpers (scripts/bench.sh drives them): a raw-protocol produce latency probe, this machine's
/// limits (sequential disk writes with periodic fdatasync, loopback TCP), and for a replicated cluster: topic
/// creation that waits for a full ISR, failover after kill -9 of a leader as a producer sees it, and how fast
/// leaderships move off a stopped or killed broker. Each command prints one JSON line.
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
                "null-fetch" => ServeNullFetch(
                    options.GetValueOrDefault("topic") ?? "bench-1k-a1",
                    Int(options, "partitions", 6),
                    Int(options, "size", 1024),
                    Int(options, "batch-records", 512),
                    Int(options, "seconds", 600)),
                "disk" => Probes.DiskProbe.Run(
                    options.GetValueOrDefault("dir") ?? Path.GetTempPath(),
                    Long(options, "mib", 2048) << 20,
                    Long(options, "sync-mib", 64) << 20),
                "loopback" => Probes.LoopbackProbe.Run(Int(options, "seconds", 3)),
                "codecs" => Probes.CodecProbe.Run(Int(options, "seconds", 1)),
                "balancer" => Probes.BalancerProbe.Run(Int(options, "partitions", 100_000), Int(options, "brokers", 50), Int(options, "racks", 3)),
                "metadata-apply" => Probes.MetadataApplyProbe.Run(Int(options, "rounds", 21), options.GetValueOrDefault("shapes") ?? "1000x100,10x10000"),
                "metrics" => Probes.MetricsProbe.Run(Int(options, "rounds", 10), Int(options, "ops", 1_000_000)),
                "hotkeys" => Probes.HotKeyProbe.Run(Int(options, "rounds", 10), Int(options, "batches", 20_000)),
                "log-load" => Probes.LogLoadProbe.Run(options.GetValueOrDefault("dir"), Int(options, "partitions", 10_000), Int(options, "written", 10), Int(options, "rounds", 3), Int(options, "heap-mb", 0)),
                "create-topic" => Probes.TopicSetup.RunAsync(
                    Required(options, "bootstrap"),
                    Required(options, "topic"),
                    Int(options, "partitions", 6),
                    (short)Int(options, "rf", 3),
                    Configs(options.GetValueOrDefault("config")),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 120))).GetAwaiter().GetResult(),
                "failover" => Probes.FailoverProbe.RunAsync(
                    Required(options, "bootstrap"),
                    Required(options, "topic"),
                    Int(options, "partition", -1),
                    Probes.ClusterOptions.ParsePids(Required(options, "pids")),
                    TimeSpan.FromMilliseconds(Int(options, "warmup-ms", 1000)),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 60))).GetAwaiter().GetResult(),
                "leaders-moved" => Probes.LeadershipProbe.RunAsync(
                    Required(options, "bootstrap"),
                    Required(options, "topic"),
                    Int(options, "broker", -1),
                    Int(options, "observer", -1),
                    Probes.ClusterOptions.ParsePids(Required(options, "pids")),
                    Probes.Signals.Parse(options.GetValueOrDefault("signal") ?? "TERM"),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 60))).GetAwaiter().GetResult(),
                "reassign-setup" => Probes.ReassignProbe.SetupAsync(
                    Required(options, "bootstrap"),
                    Required(options, "topic"),
                    Int(options, "broker", 0),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 60))).GetAwaiter().GetResult(),
                "reassign" => Probes.ReassignProbe.RunAsync(
                    Required(options, "bootstrap"),
                    Required(options, "topic"),
                    Int(options, "to", 1),
                    Long(options, "throttle", 0),
                    Required(options, "latency-bootstrap"),
                    Required(options, "latency-topic"),
                    Int(options, "latency-seconds", 5),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 300))).GetAwaiter().GetResult(),
                "create-topics" => Probes.ManyTopicsProbe.RunAsync(
                    Required(options, "bootstrap"),
                    options.GetValueOrDefault("prefix") ?? "bench-meta",
                    Int(options, "topics", 1000),
                    Int(options, "partitions", 100),
                    Int(options, "batch", 50),
                    (short)Int(options, "rf", 3),
                    Configs(options.GetValueOrDefault("config")),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 1800))).GetAwaiter().GetResult(),
                "controller-failover" => Probes.ControllerFailoverProbe.RunAsync(
                    Required(options, "bootstrap"),
                    options.GetValueOrDefault("prefix") ?? "bench-meta",
                    Probes.ClusterOptions.ParsePids(Required(options, "pids")),
                    TimeSpan.FromSeconds(Int(options, "timeout-s", 300))).GetAwaiter().GetResult(),
                _ => null,
            };
            if (json == null)
            {
                return Usage();
            }

            Console.WriteLine(json);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or System.Net.Sockets.SocketException or InvalidDataException
            or KafkaOperator.Client.KafkaException or TimeoutException or OperationCanceledException)
        {
            Console.Error.WriteLine($"bench {args[0]}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Prints the responder's address at once, serves for <paramref name="seconds"/>, then says so.</summary>
    private static string ServeNullFetch(string topic, int partitions, int size, int batchRecords, int seconds)
    {
        Console.WriteLine(Probes.NullFetchResponder.Start(topic, partitions, size, batchRecords));
        Console.Out.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        return "{\"probe\":\"null-fetch\",\"done\":true}";
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: KafkaOperator.Bench latency --bootstrap H:P [--topic T] [--rate 1000] [--seconds 10] [--size 100] [--acks 1]
                   KafkaOperator.Bench latency-floor [--rate 1000] [--seconds 10] [--size 100]
                   KafkaOperator.Bench null-fetch [--topic bench-1k-a1] [--partitions 6] [--size 1024] [--batch-records 512] [--seconds 600]
                   KafkaOperator.Bench disk [--dir D] [--mib 2048] [--sync-mib 64]
                   KafkaOperator.Bench loopback [--seconds 3]
                   KafkaOperator.Bench hotkeys [--rounds 10] [--batches 20000]
                   KafkaOperator.Bench log-load [--partitions 10000] [--written 10] [--rounds 3] [--heap-mb 0] [--dir D (kept; loaded again as it is)]
                   KafkaOperator.Bench metadata-apply [--rounds 21] [--shapes 1000x100,10x10000]
                   KafkaOperator.Bench balancer [--partitions 100000] [--brokers 50] [--racks 3]
                   KafkaOperator.Bench create-topic --bootstrap H:P --topic T [--partitions 6] [--rf 3] [--config k=v,k=v] [--timeout-s 120]
                   KafkaOperator.Bench failover --bootstrap H:P --topic T --pids 0=PID,1=PID,.. [--partition N] [--warmup-ms 1000] [--timeout-s 60]
                   KafkaOperator.Bench leaders-moved --bootstrap H:P --topic T --pids 0=PID,.. [--broker N] [--observer N] [--signal TERM|KILL] [--timeout-s 60]
                   KafkaOperator.Bench create-topics --bootstrap H:P [--prefix bench-meta] [--topics 1000] [--partitions 100] [--batch 50] [--rf 3] [--config k=v] [--timeout-s 1800]
                   KafkaOperator.Bench controller-failover --bootstrap H:P --pids 0=PID,.. [--prefix bench-meta] [--timeout-s 300]
                   KafkaOperator.Bench reassign-setup --bootstrap H:P --topic T [--broker 0] [--timeout-s 60]
                   KafkaOperator.Bench reassign --bootstrap H:P --topic T --latency-bootstrap H:P --latency-topic T [--to 1] [--throttle B/s] [--latency-seconds 5] [--timeout-s 300]
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

    private static string Required(Dictionary<string, string> o, string name) =>
        o.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name} is required");

    private static Dictionary<string, string?> Configs(string? pairs)
    {
        var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pair in (pairs ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--config takes key=value pairs, not {pair}");
            }

            configs[pair[..eq]] = pair[(eq + 1)..];
        }

        return configs;
    }

    private static int Int(Dictionary<string, string> o, string name, int fallback) =>
        o.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static long Long(Dictionary<string, string> o, string name, long fallback) =>
        o.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
