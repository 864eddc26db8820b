using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// A real broker process (`dotnet KafkaOperator.Server.dll`) on an ephemeral loopback port with its own temporary
/// data directory. Readiness is the broker's own "ready" line on stdout, awaited with a deadline. Restarts reuse
/// the data directory and the port, so clients keep a valid bootstrap address. Disposal kills the process, writes
/// what it printed into the test output (shown for failing tests) and deletes the data directory.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper? _output;
    private readonly IReadOnlyDictionary<string, string> _overrides;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private readonly string _workDir;
    private readonly string? _executable;
    private readonly IReadOnlyList<string> _launcher;
    private Process? _process;
    private int _generation;

    private BrokerProcess(ITestOutputHelper? output, IReadOnlyDictionary<string, string>? overrides, string? executable,
        IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string>? launcher = null)
    {
        _output = output;
        _executable = executable;
        _launcher = launcher ?? [];
        _overrides = overrides ?? new Dictionary<string, string>();
        _environment = environment ?? new Dictionary<string, string>();
        _workDir = Path.Combine(Path.GetTempPath(), "ko-broker-" + Guid.NewGuid().ToString("N")[..12]);
        DataDir = Path.Combine(_workDir, "data");
        Directory.CreateDirectory(DataDir);
    }

    public string DataDir { get; }

    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; }

    public string BootstrapServers => $"{Host}:{Port}";

    /// <summary>The /metrics port the broker printed at start (-1 when metrics.port=-1 or before it started).</summary>
    public int MetricsPort { get; private set; } = -1;

    public Uri MetricsUri => new($"http://127.0.0.1:{MetricsPort}/metrics");

    /// <summary>Start-up time the broker reported in its ready line.</summary>
    public TimeSpan ReportedStartup { get; private set; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException("broker not running");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the broker printed so far, across restarts.</summary>
    public string Log
    {
        get
        {
            lock (_logLock)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<BrokerProcess> StartAsync(
        ITestOutputHelper? output = null,
        IReadOnlyDictionary<string, string>? overrides = null,
        TimeSpan? readyTimeout = null,
        string? executable = null,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        // executable: a published broker (the image's apphost) run as is; null runs the built dll with `dotnet`.
        // launcher: a command prefix the broker runs under (`ip netns exec <ns>`), which must exec it in place so
        // that the pid, signals and exit code stay the broker's.
        var broker = new BrokerProcess(output, overrides, executable, environment, launcher);
        try
        {
            await broker.LaunchAsync(port: 0, readyTimeout ?? DefaultReadyTimeout);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a broker that must refuse to start: returns its exit code and everything it printed. A broker that
    /// gets ready instead is stopped and the test fails.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> StartExpectingExitAsync(
        ITestOutputHelper? output,
        IReadOnlyDictionary<string, string> overrides,
        TimeSpan? timeout = null)
    {
        await using var broker = new BrokerProcess(output, overrides, null, null);
        try
        {
            await broker.LaunchAsync(port: 0, timeout ?? DefaultReadyTimeout);
        }
        catch (InvalidOperationException) when (broker._process is { HasExited: true } exited)
        {
            return (exited.ExitCode, broker.Log);
        }

        throw new Xunit.Sdk.XunitException($"the broker started although it should have refused to:\n{broker.Log}");
    }

    /// <summary>SIGKILL: no shutdown hook runs, like a crashed machine as far as the process is concerned.</summary>
    public void Kill()
    {
        var process = _process ?? throw new InvalidOperationException("broker not running");
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        if (!process.WaitForExit(10_000))
        {
            throw new TimeoutException($"broker pid {process.Id} did not die after SIGKILL");
        }

        AppendLog($"[test] broker generation {_generation} killed (SIGKILL)");
        ChildProcesses.Forget(process);
    }

    /// <summary>SIGTERM and wait for a clean exit; returns the exit code. Kills it and throws past the deadline.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        var process = _process ?? throw new InvalidOperationException("broker not running");
        if (!process.HasExited)
        {
            SendSigterm(process.Id);
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"broker did not exit within {timeout ?? TimeSpan.FromSeconds(30)} of SIGTERM\n{Log}");
            }
        }

        process.WaitForExit(); // drains the redirected output
        AppendLog($"[test] broker generation {_generation} exited with {process.ExitCode} after SIGTERM");
        ChildProcesses.Forget(process);
        return process.ExitCode;
    }

    /// <summary>Starts the broker again on the same data directory and port; it must have been stopped or killed.</summary>
    public Task RestartAsync(TimeSpan? readyTimeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("broker still running: Kill() or StopAsync() first");
        }

        return LaunchAsync(Port, readyTimeout ?? DefaultReadyTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process != null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
                // never started or already reaped
            }

            ChildProcesses.Forget(_process);
            _process.Dispose();
            _process = null;
        }

        WriteLogToOutput();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: the temp dir is unique per broker
        }
    }

    private async Task LaunchAsync(int port, TimeSpan readyTimeout)
    {
        _generation++;
        var propertiesPath = Path.Combine(_workDir, "server.properties");
        var settings = new Dictionary<string, string>
        {
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
            ["log.dirs"] = DataDir,
            ["metrics.host"] = "127.0.0.1",
            ["metrics.port"] = "0", // ephemeral: many brokers run at once; MetricsPort tells which
        };
        foreach (var (key, value) in _overrides)
        {
            settings[key] = value;
        }

        await File.WriteAllLinesAsync(propertiesPath, settings.Select(kv => $"{kv.Key}={kv.Value}"));

        var program = _executable ?? "dotnet";
        var start = new ProcessStartInfo(_launcher.Count > 0 ? _launcher[0] : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _workDir,
        };
        if (_launcher.Count > 0)
        {
            foreach (var argument in _launcher.Skip(1))
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(program);
        }

        if (_executable is null)
        {
            start.ArgumentList.Add(RepoPaths.BrokerDll);
        }

        start.ArgumentList.Add(propertiesPath);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add("--override");
            start.ArgumentList.Add($"{key}={value}");
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var ready = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var generation = _generation;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }

            AppendLog($"[out {generation}] {e.Data}");
            if (MetricsLine().Match(e.Data) is { Success: true } metrics)
            {
                MetricsPort = int.Parse(metrics.Groups["port"].Value, CultureInfo.InvariantCulture);
            }

            var match = ReadyLine().Match(e.Data);
            if (match.Success)
            {
                ready.TrySetResult(match);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                AppendLog($"[err {generation}] {e.Data}");
            }
        };
        process.Exited += (_, _) => ready.TrySetException(
            new InvalidOperationException("exited"));

        AppendLog($"[test] starting broker generation {generation}: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        process.Start();
        _process = process;
        ChildProcesses.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Match line;
        try
        {
            line = await ready.Task.WaitAsync(readyTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            if (process.WaitForExit(10_000))
            {
                process.WaitForExit(); // drains the redirected output so the log below is complete
            }

            var why = e is TimeoutException ? $"not ready within {readyTimeout.TotalSeconds:0} s" : "exited before it was ready";
            throw new InvalidOperationException(
                $"broker {why} (exit code {(process.HasExited ? process.ExitCode : -1)}); its output:\n{Log}");
        }

        Host = line.Groups["host"].Value;
        Port = int.Parse(line.Groups["port"].Value, CultureInfo.InvariantCulture);
        ReportedStartup = TimeSpan.FromMilliseconds(double.Parse(line.Groups["ms"].Value, CultureInfo.InvariantCulture));
    }

    private static void SendSigterm(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit(5_000);
    }

    private void AppendLog(string line)
    {
        lock (_logLock)
        {
            _log.AppendLine(line);
        }
    }

    private void WriteLogToOutput()
    {
        if (_output == null)
        {
            return;
        }

        try
        {
            _output.WriteLine("---- broker output ----");
            _output.WriteLine(Log);
        }
        catch (InvalidOperationException)
        {
            // the test already finished; nothing to attach the log to
        }
    }

    [GeneratedRegex(@"KafkaOperator broker ready: listening on (?<host>\S+):(?<port>\d+) \((?<ms>[0-9.]+) ms\)")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"^metrics: http://\S+:(?<port>\d+)/metrics$")]
    private static partial Regex MetricsLine();
}
