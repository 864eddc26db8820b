using System.Globalization;

namespace KafkaOperator.Server;

/// <summary>
/// Minimal broker log on stderr (stdout carries only the ready line the harness waits for). Log lines are rare
/// events (connections closed for protocol violations, start-up, shutdown), never per request.
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();

    public static bool DebugEnabled { get; set; }

    /// <summary>
    /// The monotonic clock in microseconds, for timing lines of rare large operations: every process of a machine reads
    /// the same clock, so one metadata commit's lines from several brokers (and a benchmark's) line up.
    /// </summary>
    public static long Micros() => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    public static void Info(string message) => Write("INFO", message);

    public static void Warn(string message) => Write("WARN", message);

    public static void Error(string message, Exception? ex = null) => Write("ERROR", ex is null ? message : $"{message}: {ex}");

    public static void Debug(string message)
    {
        if (DebugEnabled)
            Write("DEBUG", message);
    }

    private static void Write(string level, string message)
    {
        var line = $"[{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)}] {level} {message}";
        lock (Gate)
            Console.Error.WriteLine(line);
    }
}
