using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>Outcome of a client script: its exit code, output, and the JSON summary it printed last.</summary>
public sealed class ClientScriptResult
{
    public required int ExitCode { get; init; }

    public required string Stdout { get; init; }

    public required string Stderr { get; init; }

    public JsonElement? Summary { get; init; }

    /// <summary>The summary, or a failure carrying everything the script printed.</summary>
    public JsonElement RequireSummary()
    {
        if (ExitCode != 0 || Summary == null)
        {
            throw new Xunit.Sdk.XunitException(
                $"client script failed (exit {ExitCode})\n--- stdout (tail) ---\n{Tail(Stdout)}\n--- stderr (tail) ---\n{Tail(Stderr)}");
        }

        return Summary.Value;
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "..." + text[^6000..];
}

/// <summary>
/// Runs a real Kafka client as a script (python, node, a shell tool) with a hard timeout. The script's last
/// stdout line that parses as a JSON object is its summary, which the test asserts on.
/// </summary>
public static class ClientScript
{
    public static async Task<ClientScriptResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        ITestOutputHelper? output = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.ClientsDir,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (stdout)
                {
                    stdout.AppendLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };

        var watch = Stopwatch.StartNew();
        process.Start();
        ChildProcesses.Track(process);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var timedOut = false;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
        }
        finally
        {
            process.WaitForExit(10_000);
            ChildProcesses.Forget(process);
        }

        string outText, errText;
        lock (stdout)
        {
            outText = stdout.ToString();
        }

        lock (stderr)
        {
            errText = stderr.ToString();
        }

        output?.WriteLine($"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}: exit " +
                          $"{(timedOut ? "TIMEOUT" : process.ExitCode)} after {watch.Elapsed.TotalSeconds:0.0} s");
        if (errText.Length > 0)
        {
            output?.WriteLine("stderr: " + (errText.Length > 4000 ? errText[^4000..] : errText));
        }

        if (timedOut)
        {
            errText += $"\n[test] killed after the {timeout.TotalSeconds:0} s timeout";
        }

        var summary = LastJsonObject(outText);
        if (summary != null)
        {
            output?.WriteLine("summary: " + summary.Value.GetRawText());
        }

        return new ClientScriptResult
        {
            ExitCode = timedOut ? -1 : process.ExitCode,
            Stdout = outText,
            Stderr = errText,
            Summary = summary,
        };
    }

    private static JsonElement? LastJsonObject(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            if (!lines[i].StartsWith('{'))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                return doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // a log line that happens to start with a brace
            }
        }

        return null;
    }
}
