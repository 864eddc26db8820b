using System.Diagnostics;
using System.Text;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// A client script left running while the test does something else (a produce storm during a broker crash).
/// The test waits for a line the script prints rather than sleeping; disposal kills it.
/// </summary>
public sealed class RunningScript : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(string Prefix, TaskCompletionSource<string> Seen)> _waiters = [];

    private RunningScript(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static RunningScript Start(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.ClientsDir,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var script = new RunningScript(new Process { StartInfo = start, EnableRaisingEvents = true });
        script._process.OutputDataReceived += (_, e) => script.OnStdout(e.Data);
        script._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (script._stderr)
                {
                    script._stderr.AppendLine(e.Data);
                }
            }
        };
        script._process.Exited += (_, _) =>
        {
            script._process.WaitForExit(); // lets the output readers deliver the last lines first
            script.FailWaiters();
        };
        script._process.Start();
        ChildProcesses.Track(script._process);
        script._process.StandardInput.Close();
        script._process.BeginOutputReadLine();
        script._process.BeginErrorReadLine();
        return script;
    }

    /// <summary>Waits for a stdout line starting with <paramref name="prefix"/>; fails if the script exits first.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stdout)
        {
            var existing = _stdout.ToString().Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (existing != null)
            {
                return existing.TrimEnd('\r');
            }

            _waiters.Add((prefix, seen));
        }

        if (_process.HasExited)
        {
            FailWaiters();
        }

        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line '{prefix}...' within {timeout.TotalSeconds:0} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>Waits for the script to finish by itself; kills it and throws past the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"script still running after {timeout.TotalSeconds:0} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started
        }

        ChildProcesses.Forget(_process);
        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line == null)
        {
            return;
        }

        lock (_stdout)
        {
            _stdout.AppendLine(line);
            foreach (var (prefix, seen) in _waiters)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    seen.TrySetResult(line);
                }
            }
        }
    }

    private void FailWaiters()
    {
        lock (_stdout)
        {
            foreach (var (prefix, seen) in _waiters)
            {
                seen.TrySetException(new InvalidOperationException(
                    $"script exited before printing '{prefix}...'\nstdout:\n{_stdout}\nstderr:\n{Stderr}"));
            }
        }
    }
}
