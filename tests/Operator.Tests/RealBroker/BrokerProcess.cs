using System.Diagnostics;
using System.Text.RegularExpressions;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// A real KafkaOperator broker process (broker/Server, built by the ProjectReference of this test project) on an
/// ephemeral port with a temporary log dir; killed and cleaned up on dispose.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private BrokerProcess(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string Bootstrap => $"127.0.0.1:{Port}";

    public static async Task<BrokerProcess> StartAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepoPaths.Root, "broker", "Server", "bin", configuration, "net10.0", "KafkaOperator.Server.dll");
        Assert.True(File.Exists(dll), $"broker not built at {dll}");
        var dir = Path.Combine(Path.GetTempPath(), "ko-operator-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            dll, Path.Combine(RepoPaths.Root, "broker", "server.properties"),
            "--override", "listeners=PLAINTEXT://127.0.0.1:0",
            "--override", "metrics.port=-1",
            "--override", $"log.dirs={dir}",
            "--override", "node.id=0",
        })
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi)!;
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("broker exited before it was ready:\n" + output));
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (ReadyLine().Match(e.Data) is { Success: true } m)
            {
                ready.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var port = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new BrokerProcess(process, dir, port);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"ready: listening on [^:]+:(\d+)")]
    private static partial Regex ReadyLine();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}
