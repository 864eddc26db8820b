using System.Collections.Concurrent;
using System.Diagnostics;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Every process a test starts is registered here and killed when the test host exits, so a test that crashes
/// or times out never leaves a broker or client running on the shared machine.
/// </summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    static ChildProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Track(Process process) => Live[process.Id] = process;

    public static void Forget(Process process)
    {
        try
        {
            Live.TryRemove(process.Id, out _);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
    }

    private static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }
}
