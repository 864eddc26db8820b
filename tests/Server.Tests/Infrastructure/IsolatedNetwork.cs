using System.Diagnostics;
using System.Globalization;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// One Linux network namespace per host (a broker), all on one bridge that lives in a hub namespace; the test
/// process reaches every host through a single veth in its own namespace, so clients keep working while hosts are
/// cut off from each other. A cut reroutes a host's packets for a peer into a veth whose other end is down: the
/// kernel drops them without an error, as a lost link would (a blackhole route would fail connect() at once with
/// EINVAL instead of letting it time out). Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2; without them
/// <see cref="Create"/> throws, naming what failed.
/// </summary>
public sealed class IsolatedNetwork : IDisposable
{
    private const string SinkMac = "02:00:00:00:00:01";

    private readonly string _id;
    private readonly int _subnet;
    private readonly HashSet<(int From, int To)> _cuts = [];
    private readonly List<string> _namespaces = [];

    private IsolatedNetwork(string id, int subnet, int hosts)
    {
        _id = id;
        _subnet = subnet;
        Hosts = hosts;
    }

    public int Hosts { get; }

    private string Hub => $"{_id}-hub";

    /// <summary>The namespaces and the bridge, with no cut; throws if the machine does not allow it.</summary>
    public static IsolatedNetwork Create(int hosts)
    {
        var id = "ko" + Guid.NewGuid().ToString("N")[..6];
        var network = new IsolatedNetwork(id, FreeSubnet(), hosts);
        try
        {
            network.Build();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Host <paramref name="host"/>'s address (10.213.x.(10 + host)); the test process is .1.</summary>
    public string Address(int host) => $"10.213.{_subnet}.{10 + host}";

    /// <summary>The command prefix that runs a program inside host <paramref name="host"/>'s namespace.</summary>
    public IReadOnlyList<string> Launcher(int host) => ["ip", "netns", "exec", HostNamespace(host)];

    /// <summary>Drops every packet <paramref name="from"/> sends to <paramref name="to"/> (one way).</summary>
    public void Cut(int from, int to)
    {
        if (_cuts.Add((from, to)))
            Ip(HostNamespace(from), "route", "replace", $"{Address(to)}/32", "dev", "sink");
    }

    /// <summary>Drops packets both ways between two hosts.</summary>
    public void CutBetween(int a, int b)
    {
        Cut(a, b);
        Cut(b, a);
    }

    /// <summary>Cuts a host off from every other host (the test process still reaches it).</summary>
    public void Isolate(int host)
    {
        for (var other = 0; other < Hosts; other++)
        {
            if (other != host)
                CutBetween(host, other);
        }
    }

    public void HealAll()
    {
        foreach (var (from, to) in _cuts)
            Ip(HostNamespace(from), "route", "del", $"{Address(to)}/32", "dev", "sink");
        _cuts.Clear();
    }

    public void Dispose()
    {
        // Deleting a namespace destroys its veths, and with them their peers (the bridge ports, the test's uplink).
        foreach (var ns in Enumerable.Reverse(_namespaces))
            TryRun("ip", "netns", "del", ns);
        _namespaces.Clear();
    }

    private string HostNamespace(int host) => $"{_id}-b{host}";

    private void Build()
    {
        AddNamespace(Hub);
        Ip(Hub, "link", "add", "br0", "type", "bridge");
        Ip(Hub, "link", "set", "br0", "up");
        Run("ip", "link", "add", _id, "type", "veth", "peer", "name", "uplink", "netns", Hub);
        Ip(Hub, "link", "set", "uplink", "master", "br0", "up");
        Run("ip", "addr", "add", $"10.213.{_subnet}.1/24", "dev", _id);
        Run("ip", "link", "set", _id, "up");
        for (var host = 0; host < Hosts; host++)
        {
            var ns = HostNamespace(host);
            AddNamespace(ns);
            Ip(ns, "link", "set", "lo", "up");
            Ip(Hub, "link", "add", $"b{host}", "type", "veth", "peer", "name", "eth0", "netns", ns);
            Ip(Hub, "link", "set", $"b{host}", "master", "br0", "up");
            Ip(ns, "addr", "add", $"{Address(host)}/24", "dev", "eth0");
            Ip(ns, "link", "set", "eth0", "up");
            // The sink: a veth whose peer stays down, so whatever is routed into it is dropped silently. Permanent
            // neighbour entries spare the kernel an ARP that would fail with EHOSTUNREACH after a few seconds.
            Ip(ns, "link", "add", "sink", "type", "veth", "peer", "name", "sinkpeer");
            Ip(ns, "link", "set", "sink", "up");
            for (var peer = 0; peer < Hosts; peer++)
            {
                if (peer != host)
                    Ip(ns, "neigh", "replace", Address(peer), "lladdr", SinkMac, "dev", "sink", "nud", "permanent");
            }
        }
    }

    private void AddNamespace(string name)
    {
        Run("ip", "netns", "add", name);
        _namespaces.Add(name);
    }

    private static void Ip(string ns, params string[] arguments) => Run("ip", ["-n", ns, .. arguments]);

    /// <summary>A /24 in 10.213.0.0/16 that no route of this machine uses yet (other test runs may hold some).</summary>
    private static int FreeSubnet()
    {
        var routes = Capture("ip", "-4", "route", "show");
        var free = Enumerable.Range(0, 256)
            .Where(x => !routes.Contains($"10.213.{x.ToString(CultureInfo.InvariantCulture)}.", StringComparison.Ordinal))
            .ToList();
        return free.Count > 0
            ? free[Random.Shared.Next(free.Count)]
            : throw new InvalidOperationException("no free 10.213.x.0/24 subnet for the test network");
    }

    private static void Run(string file, params string[] arguments) => Capture(file, arguments);

    private static string Capture(string file, params string[] arguments)
    {
        var (exit, stdout, stderr) = Execute(file, arguments);
        return exit == 0
            ? stdout
            : throw new InvalidOperationException(
                $"`{file} {string.Join(' ', arguments)}` failed with exit code {exit}: {stderr.Trim()}. " +
                "Network partition tests need root with CAP_NET_ADMIN and CAP_SYS_ADMIN (network namespaces, veth, bridge) and iproute2.");
    }

    private static void TryRun(string file, params string[] arguments)
    {
        try
        {
            Execute(file, arguments);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // ip missing: Create failed already and said so
        }
    }

    private static (int Exit, string Stdout, string Stderr) Execute(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
