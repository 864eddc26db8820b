using System.Runtime.InteropServices;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Signals a broker process from inside a probe, so the probe's clock starts at the very syscall that kills or
/// stops the broker instead of at a shell's guess.
/// </summary>
internal static class Signals
{
    public const int Kill = 9;
    public const int Term = 15;

    public static int Parse(string name) => name.ToUpperInvariant() switch
    {
        "KILL" or "9" => Kill,
        "TERM" or "15" => Term,
        _ => throw new ArgumentException($"--signal must be KILL or TERM, not {name}"),
    };

    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new IOException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Gone or a zombie: the broker process has finished, whether or not its parent reaped it yet.</summary>
    public static bool HasExited(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return state.StartsWith('Z') || state.StartsWith('X');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
