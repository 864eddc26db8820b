using System.Diagnostics;
using System.Globalization;

namespace KafkaOperator.Server.Tests.Infrastructure;

public sealed partial class BrokerProcess
{
    /// <summary>SIGSTOP: the broker freezes (no fetches, no heartbeats) without losing anything, as a hung machine would.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused broker carries on where it stopped.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot run kill");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{signal} {Pid} exited with {kill.ExitCode}");
        AppendLog($"[test] broker SIG{signal}");
    }
}
