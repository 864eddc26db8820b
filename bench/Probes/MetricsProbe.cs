using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// What a produce request's metrics cost on the hot path, per partition of a request: two counter adds (records
/// and bytes) tagged with the topic. Compared: a System.Diagnostics.Metrics counter with OpenTelemetry's SDK and
/// Prometheus exporter listening; the same counter with prometheus-net's MeterAdapter listening; the same counter
/// with nothing listening (the floor of the instrument API); and what the broker does, plain per-topic counters
/// (a dictionary lookup and two interlocked adds) that observable instruments read at scrape time. Rounds
/// alternate between the variants (A/B/C/D, A/B/C/D, ...) so that machine noise hits all of them alike; the
/// result is each variant's median ns per partition over the rounds and the bytes it allocated.
/// </summary>
public static class MetricsProbe
{
    private static readonly string[] Topics = ["orders", "payments", "clicks", "audit", "events", "logs"];

    public static string Run(int rounds, int opsPerRound)
    {
        Prometheus.Metrics.SuppressDefaultMetrics(); // prometheus-net's own default adapters would listen too
        var variants = new (string Name, Func<IDisposable> Setup, Func<Action<string, long>> Adder)[]
        {
            ("otel", () => OpenTelemetrySetup(out _), () => CounterAdder("otel")),
            ("prometheus_net", () => PrometheusNetSetup(), () => CounterAdder("pn")),
            ("no_listener", () => new Meter("bench.none"), () => CounterAdder("none")),
            ("plain_counters", () => new Meter("bench.plain"), PlainAdder),
        };
        var ns = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var allocated = variants.ToDictionary(v => v.Name, _ => 0L);
        for (var round = 0; round < rounds + 1; round++) // the first round warms up the JIT and is not counted
        {
            foreach (var (name, setup, adder) in variants)
            {
                using var listening = setup();
                var add = adder();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < opsPerRound; i++)
                    add(Topics[i % Topics.Length], 1000 + (i & 1023));
                var elapsed = clock.Elapsed;
                if (round == 0)
                    continue;
                allocated[name] += GC.GetTotalAllocatedBytes(precise: true) - before;
                ns[name].Add(elapsed.TotalNanoseconds / opsPerRound);
            }
        }
        var parts = variants.Select(v =>
        {
            var sorted = ns[v.Name].Order().ToList();
            var median = sorted[sorted.Count / 2];
            return string.Create(CultureInfo.InvariantCulture,
                $"\"{v.Name}\":{{\"ns_per_partition_median\":{median:0.0},\"ns_min\":{sorted[0]:0.0},\"ns_max\":{sorted[^1]:0.0},\"bytes_allocated_per_partition\":{(double)allocated[v.Name] / ((long)rounds * opsPerRound):0.0}}}");
        });
        return $"{{\"probe\":\"metrics\",\"rounds\":{rounds},\"ops_per_round\":{opsPerRound},{string.Join(',', parts)}}}";
    }

    // Each variant's own meter, created after its listener so that the listener sees it being published.
    private static Meter? _meter;
    private static Counter<long>? _messages;
    private static Counter<long>? _bytes;

    private static Action<string, long> CounterAdder(string meterName)
    {
        _meter = new Meter("bench." + meterName);
        _messages = _meter.CreateCounter<long>("kafka_server_brokertopicmetrics_messagesin");
        _bytes = _meter.CreateCounter<long>("kafka_server_brokertopicmetrics_bytesin");
        var messages = _messages;
        var bytes = _bytes;
        return (topic, size) =>
        {
            var tag = new KeyValuePair<string, object?>("topic", topic);
            messages.Add(10, tag);
            bytes.Add(size, tag);
        };
    }

    private static Action<string, long> PlainAdder()
    {
        var topics = new ConcurrentDictionary<string, long[]>(StringComparer.Ordinal);
        return (topic, size) =>
        {
            var c = topics.TryGetValue(topic, out var found) ? found : topics.GetOrAdd(topic, static _ => new long[2]);
            Interlocked.Add(ref c[0], 10);
            Interlocked.Add(ref c[1], size);
        };
    }

    private static IDisposable OpenTelemetrySetup(out int port)
    {
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
        var p = port;
        return Sdk.CreateMeterProviderBuilder().AddMeter("bench.otel")
            .AddPrometheusHttpListener(o => { o.Host = "127.0.0.1"; o.Port = p; })
            .Build();
    }

    private static IDisposable PrometheusNetSetup() =>
        Prometheus.MeterAdapter.StartListening(new Prometheus.MeterAdapterOptions
        {
            InstrumentFilterPredicate = i => i.Meter.Name == "bench.pn",
            Registry = Prometheus.Metrics.NewCustomRegistry(),
        });
}
