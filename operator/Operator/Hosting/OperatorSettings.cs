using System.Globalization;

namespace KafkaOperator.Operator.Hosting;

/// <summary>Command-line settings of `KafkaOperator.Operator run`.</summary>
public sealed class OperatorSettings
{
    /// <summary>Namespace to watch; null watches all namespaces.</summary>
    public string? WatchNamespace { get; init; }
    public string BrokerImage { get; init; } = Models.ModelOptions.BuiltInBrokerImage;
    /// <summary>HTTP port for /metrics, /healthz, /readyz; 0 picks a free port.</summary>
    public int Port { get; init; } = 8080;
    public bool LeaderElection { get; init; } = true;
    public string LeaseName { get; init; } = "kafka-operator";
    public string LeaseNamespace { get; init; } = Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "kafka-operator";
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName + "-" + Environment.ProcessId;
    public string? Kubeconfig { get; init; }
    public int Workers { get; init; } = 2;
    public bool JsonLogs { get; init; } = true;
    /// <summary>A broker not Ready this long after its restart stops a roll (RollStalled).</summary>
    public TimeSpan BrokerReadyTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>A scale-down drain still moving after this blocks the scale-down (ScaleDownBlocked).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public const string Usage = """
        usage: KafkaOperator.Operator run [options]
                 --namespace=NS           watch one namespace (default: all)
                 --broker-image=IMAGE     image for KafkaClusters that do not set spec.image
                 --port=8080              /metrics, /healthz, /readyz
                 --leader-election=true   only the lease holder reconciles (false for a single local instance)
                 --lease-namespace=NS     namespace of the Lease (default: $POD_NAMESPACE or kafka-operator)
                 --kubeconfig=PATH        default: in-cluster config, else $KUBECONFIG or ~/.kube/config
                 --workers=2              concurrent reconciles per kind
                 --plain-logs             human-readable logs instead of JSON
                 --broker-ready-timeout=5m   a broker not Ready this long after its restart stops a roll (RollStalled)
                 --drain-timeout=30m      a scale-down drain not done in this blocks the scale-down (ScaleDownBlocked)
                                          (durations: a number with s, m or h)
               KafkaOperator.Operator generate-crds DIR
        """;

    /// <summary>Parses "--key=value" / "--key value" options; throws ArgumentException with a clear message.</summary>
    public static OperatorSettings Parse(IReadOnlyList<string> args)
    {
        var known = new HashSet<string>(StringComparer.Ordinal) { "namespace", "broker-image", "port", "leader-election", "lease-namespace", "lease-name", "kubeconfig", "workers", "plain-logs", "identity", "broker-ready-timeout", "drain-timeout" };
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (!known.Contains(name))
            {
                throw new ArgumentException($"unknown option --{name}");
            }
            if (eq > 0)
            {
                values[arg[2..eq]] = arg[(eq + 1)..];
            }
            else if (arg == "--plain-logs")
            {
                values["plain-logs"] = "true";
            }
            else if (i + 1 < args.Count)
            {
                values[arg[2..]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option {arg} needs a value");
            }
        }
        var defaults = new OperatorSettings();
        return new OperatorSettings
        {
            WatchNamespace = values.GetValueOrDefault("namespace") is { Length: > 0 } ns ? ns : null,
            BrokerImage = values.GetValueOrDefault("broker-image") ?? defaults.BrokerImage,
            Port = values.TryGetValue("port", out var port) ? Int(port, "port") : defaults.Port,
            LeaderElection = !values.TryGetValue("leader-election", out var le) || Bool(le, "leader-election"),
            LeaseNamespace = values.GetValueOrDefault("lease-namespace") ?? defaults.LeaseNamespace,
            LeaseName = values.GetValueOrDefault("lease-name") ?? defaults.LeaseName,
            Identity = values.GetValueOrDefault("identity") ?? defaults.Identity,
            Kubeconfig = values.GetValueOrDefault("kubeconfig"),
            Workers = values.TryGetValue("workers", out var w) ? Int(w, "workers") : defaults.Workers,
            JsonLogs = !values.ContainsKey("plain-logs"),
            BrokerReadyTimeout = values.TryGetValue("broker-ready-timeout", out var rt) ? Duration(rt, "broker-ready-timeout") : defaults.BrokerReadyTimeout,
            DrainTimeout = values.TryGetValue("drain-timeout", out var dt) ? Duration(dt, "drain-timeout") : defaults.DrainTimeout,
        };
    }

    private static int Int(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--{name} must be a non-negative integer, got '{value}'");

    /// <summary>"90s", "30m", "2h": a positive whole number and its unit.</summary>
    private static TimeSpan Duration(string value, string name)
    {
        if (value.Length >= 2 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (value[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        throw new ArgumentException($"--{name} must be a duration such as 90s, 30m or 2h, got '{value}'");
    }

    private static bool Bool(string value, string name) =>
        bool.TryParse(value, out var v) ? v : throw new ArgumentException($"--{name} must be true or false, got '{value}'");
}
