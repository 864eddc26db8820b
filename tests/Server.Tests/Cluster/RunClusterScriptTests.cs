using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// scripts/run-cluster.sh (`make run`) on free base ports and a temporary data dir: a broker that cannot start makes
/// the script fail, and Ctrl-C (SIGINT to the whole process group, as a terminal sends it) shows every broker's
/// clean shutdown.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class RunClusterScriptTests(ITestOutputHelper output) : IDisposable
{
    private const int Brokers = 3;

    // Consecutive free ports each base port must have: five nodes of `make run BROKERS=5` and the sixth one NODE=5 adds.
    private const int PortsPerBase = 6;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "ko-run-cluster-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public void A_bad_override_makes_the_script_fail_with_the_brokers_error()
    {
        using var script = Start("--override", "num.partitions=abc");
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)), "script still running\n" + script.Output);
        Assert.NotEqual(0, script.ExitCode);
        Assert.Contains("] error: Invalid value abc for configuration num.partitions", script.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void More_controllers_than_brokers_is_refused_before_anything_starts()
    {
        using var script = Start(environment: new Dictionary<string, string> { ["CONTROLLERS"] = "4" });
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(30)), "script still running\n" + script.Output);
        Assert.Equal(2, script.ExitCode);
        Assert.Contains("CONTROLLERS must be from 1 to BROKERS (3), not '4'", script.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_shows_every_brokers_clean_shutdown_and_exits_0()
    {
        using var script = Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !script.HasExited && CountLines(script.Output, "KafkaOperator broker ready") < Brokers)
            await Task.Delay(100);
        Assert.Equal(Brokers, CountLines(script.Output, "KafkaOperator broker ready"));
        for (var i = 0; i < Brokers; i++)
            Assert.Matches($@"broker-{i}: pid \d+, client 127\.0\.0\.1:\d+, controller 127\.0\.0\.1:\d+, metrics http://127\.0\.0\.1:\d+/metrics", script.Output);

        script.Interrupt();

        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)), "script still running after SIGINT\n" + script.Output);
        Assert.Equal(0, script.ExitCode);
        var lines = script.Output.Split('\n');
        for (var i = 0; i < Brokers; i++)
        {
            var prefix = $"[broker-{i}] ";
            Assert.Contains(lines, l => l.StartsWith(prefix, StringComparison.Ordinal) && l.Contains("INFO shut down cleanly", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_broker_killed_after_it_was_ready_leaves_the_others_running()
    {
        using var script = Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !script.HasExited && CountLines(script.Output, "KafkaOperator broker ready") < Brokers)
            await Task.Delay(100);
        Assert.Equal(Brokers, CountLines(script.Output, "KafkaOperator broker ready"));
        var pid = int.Parse(System.Text.RegularExpressions.Regex.Match(script.Output, @"broker-1: pid (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var port0 = int.Parse(System.Text.RegularExpressions.Regex.Match(script.Output, @"broker-0: pid \d+, client 127\.0\.0\.1:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

        Process.GetProcessById(pid).Kill();

        while (DateTime.UtcNow < deadline && !script.Output.Contains("broker-1 exited", StringComparison.Ordinal))
            await Task.Delay(100);
        Assert.Contains("broker-1 exited with code 137; the others keep running (restart it with: NODE=1 make run)", script.Output, StringComparison.Ordinal);
        Assert.False(script.WaitForExit(TimeSpan.FromSeconds(2)), "the script stopped the cluster\n" + script.Output);
        using (var client = new TcpClient())
            await client.ConnectAsync(IPAddress.Loopback, port0);

        script.Interrupt();
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)), "script still running after SIGINT\n" + script.Output);
        Assert.NotEqual(0, script.ExitCode); // a broker died during the run
        Assert.Contains(script.Output.Split('\n'), l => l.StartsWith("[broker-0] ", StringComparison.Ordinal) && l.Contains("INFO shut down cleanly", StringComparison.Ordinal));
    }

    /// <summary>
    /// `make run BROKERS=5 CONTROLLERS=3`: nodes 0-2 are combined voters, 3 and 4 broker-only observers of the quorum;
    /// then `NODE=5` adds a sixth, broker-only node to the running cluster, which registers and takes replicas of a new
    /// topic.
    /// </summary>
    [Fact]
    public async Task Five_brokers_three_controllers_then_NODE_5_adds_a_broker_only_node_that_takes_partitions()
    {
        var ports = FreeBasePorts();
        var shape = new Dictionary<string, string> { ["BROKERS"] = "5", ["CONTROLLERS"] = "3" };
        using var script = Start(ports, shape);
        await WaitForLinesAsync(script, "KafkaOperator broker ready", 5, TimeSpan.FromSeconds(120));
        Assert.Contains("local cluster: 5 brokers (3 of them quorum voters)", script.Output, StringComparison.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var role = i < 3 ? $@"controller 127\.0\.0\.1:{ports.Controller + i}" : "broker-only";
            Assert.Matches($@"broker-{i}: pid \d+, client 127\.0\.0\.1:{ports.Client + i}, {role}, metrics", script.Output);
        }

        var bootstrap = "127.0.0.1:" + ports.Client.ToString(CultureInfo.InvariantCulture);
        await using var admin = await KafkaAdminClient.ConnectAsync(bootstrap);
        var quorum = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => admin.DescribeQuorumAsync(),
            q => q.Voters.Count == 3 && q.Observers.Select(o => o.Id).Order().SequenceEqual([3, 4]), "3 voters and observers 3, 4");
        Assert.Equal([0, 1, 2], quorum.Voters.Select(v => v.Id).Order());

        using var added = Start(ports, new Dictionary<string, string>(shape) { ["NODE"] = "5" });
        await WaitForLinesAsync(added, "KafkaOperator broker ready", 1, TimeSpan.FromSeconds(90));
        Assert.Contains("broker-only node 5 joining the 5-broker cluster", added.Output, StringComparison.Ordinal);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => admin.DescribeClusterAsync(),
            c => c.Brokers.Select(b => b.NodeId).Order().SequenceEqual([0, 1, 2, 3, 4, 5]), "six registered brokers");
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(30), () => admin.DescribeQuorumAsync(),
            q => q.Observers.Select(o => o.Id).Order().SequenceEqual([3, 4, 5]), "node 5 observing the quorum");

        // Six partitions of RF 3 are 18 replicas, three per broker when spread evenly: the new node gets its share.
        Assert.Null((await admin.CreateTopicAsync("after-node-5", 6, 3)).Error);
        var topic = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => admin.DescribeTopicAsync("after-node-5"),
            t => t.Partitions.Count == 6 && t.Partitions.All(p => p.Isr.Count == 3), "every partition of the new topic in sync");
        Assert.Equal(3, topic.Partitions.Count(p => p.Replicas.Contains(5)));
        Assert.Contains(topic.Partitions, p => p.LeaderId == 5);

        added.Interrupt();
        Assert.True(added.WaitForExit(TimeSpan.FromSeconds(60)), "NODE=5 script still running after SIGINT\n" + added.Output);
        Assert.Equal(0, added.ExitCode);
        script.Interrupt();
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)), "script still running after SIGINT\n" + script.Output);
        Assert.Equal(0, script.ExitCode);
    }

    private static async Task WaitForLinesAsync(ScriptProcess script, string what, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !script.HasExited && CountLines(script.Output, what) < count)
            await Task.Delay(100);
        Assert.True(CountLines(script.Output, what) >= count, $"{count} x '{what}' not seen\n" + script.Output);
    }

    [Fact]
    public async Task Make_run_builds_the_kafkactl_the_readmes_name()
    {
        var dryRun = await ClientScript.RunAsync("make", ["-n", "run"], TimeSpan.FromSeconds(30), output, RepoPaths.Root);
        Assert.Equal(0, dryRun.ExitCode);
        Assert.Contains("build tools/Admin/KafkaOperator.Admin.csproj -c Release", dryRun.Stdout, StringComparison.Ordinal);
        const string kafkactl = "dotnet tools/Admin/bin/Release/net10.0/kafkactl.dll ";
        Assert.Contains(kafkactl, await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md")), StringComparison.Ordinal);
        var adminReadme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tools", "Admin", "README.md"));
        Assert.Contains(kafkactl, adminReadme, StringComparison.Ordinal);
        Assert.DoesNotContain("bin/Debug", adminReadme, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // the script never created it
        }
    }

    private static int CountLines(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    private ScriptProcess Start(params string[] args) => Start(null, args);

    private ScriptProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Start(FreeBasePorts(), environment, args);

    private ScriptProcess Start((int Client, int Controller, int Metrics) ports, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (client, controller, metrics) = ports;
        // A new session with SIGINT at its default: the script's process group gets the signal as from a terminal,
        // even when this test runs under a shell that started it in the background (which ignores SIGINT).
        var start = new ProcessStartInfo(RepoPaths.RequirePython())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "run-cluster.sh"));
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["BROKER_DLL"] = RepoPaths.BrokerDll;
        start.Environment["BROKERS"] = Brokers.ToString(CultureInfo.InvariantCulture);
        start.Environment["PORT"] = client.ToString(CultureInfo.InvariantCulture);
        start.Environment["CONTROLLER_PORT"] = controller.ToString(CultureInfo.InvariantCulture);
        start.Environment["METRICS_PORT"] = metrics.ToString(CultureInfo.InvariantCulture);
        start.Environment["DATA_DIR"] = _dataDir;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        return new ScriptProcess(start, output);
    }

    /// <summary>Three runs of <see cref="PortsPerBase"/> consecutive ports that are free now.</summary>
    private static (int Client, int Controller, int Metrics) FreeBasePorts()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var client = Random.Shared.Next(20000, 30000);
            var controller = Random.Shared.Next(30000, 40000);
            var metrics = Random.Shared.Next(40000, 50000);
            if (Free(client) && Free(controller) && Free(metrics))
                return (client, controller, metrics);
        }
        throw new InvalidOperationException("no free port ranges");

        static bool Free(int base_)
        {
            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 0; i < PortsPerBase; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, base_ + i);
                    l.Start();
                    listeners.Add(l);
                }
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
            finally
            {
                foreach (var l in listeners)
                    l.Stop();
            }
        }
    }

    /// <summary>The script as a process group leader; disposal kills the group (brokers included).</summary>
    private sealed class ScriptProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly ITestOutputHelper _test;

        public ScriptProcess(ProcessStartInfo start, ITestOutputHelper test)
        {
            _test = test;
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.Start();
            ChildProcesses.Track(_process);
            _process.StandardInput.Close();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                    return _output.ToString();
            }
        }

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        /// <summary>Ctrl-C: SIGINT to the script's whole process group.</summary>
        public void Interrupt() => Signal("-INT");

        public bool WaitForExit(TimeSpan timeout)
        {
            if (!_process.WaitForExit(timeout))
                return false;
            _process.WaitForExit(); // drains the output
            return true;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Signal("-KILL");
                _process.WaitForExit(10_000);
            }
            ChildProcesses.Forget(_process);
            _test.WriteLine(Output);
            _process.Dispose();
        }

        private void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", [signal, "--", "-" + _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
                ?? throw new InvalidOperationException("could not run kill");
            kill.WaitForExit(5_000);
        }

        private void Append(string? line)
        {
            if (line is null)
                return;
            lock (_output)
                _output.AppendLine(line);
        }
    }
}
