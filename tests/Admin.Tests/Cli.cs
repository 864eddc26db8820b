using System.Globalization;
using KafkaOperator.Admin;

namespace KafkaOperator.Admin.Tests;

public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs kafkactl in-process with captured output, as a shell would see it.</summary>
public static class Cli
{
    public static async Task<CliResult> RunAsync(string? environmentBootstrap, params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var error = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await KafkaCtl.RunAsync(args, output, error, environmentBootstrap, timeout.Token);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts the one-line error contract: non-zero exit, an "error:" line, no stack trace.</summary>
    public static void AssertCleanFailure(CliResult result, string expectedFragment)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(expectedFragment, result.Err, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Out, StringComparison.Ordinal);
    }
}
