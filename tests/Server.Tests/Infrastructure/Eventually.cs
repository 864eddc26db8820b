using System.Globalization;
using KafkaOperator.Client;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>Polls a cluster read until a condition holds: how tests wait for metadata to propagate, with a deadline instead of a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>
    /// Every deadline is multiplied by this (TEST_WAIT_SCALE, default 3): a deadline only bounds how long a test
    /// waits for an event that should come, and CI's two cores run several broker clusters at once, so a wait that
    /// takes 5 s on a quiet machine can take many times that. A passing test never waits longer for it.
    /// </summary>
    public static double Scale { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("TEST_WAIT_SCALE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 3;

    public static async Task<T> WaitForAsync<T>(ITestOutputHelper output, TimeSpan deadline, Func<Task<T>> read, Func<T, bool> done, string what)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        deadline *= Scale;
        var until = DateTime.UtcNow + deadline;
        Exception? last = null;
        var lastValue = "(none read)";
        while (DateTime.UtcNow < until)
        {
            try
            {
                var value = await read();
                if (done(value))
                    return value;
                last = null;
                lastValue = Describe(value);
            }
            catch (KafkaException ex)
            {
                last = ex;
            }
            await Task.Delay(100);
        }
        output.WriteLine($"timed out waiting for {what}; last value: {lastValue}; last error: {last}");
        throw new TimeoutException($"timed out after {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s waiting for {what} (last value: {lastValue})");
    }

    private static string Describe<T>(T value)
    {
        var text = value switch
        {
            System.Collections.IEnumerable e and not string => "[" + string.Join(", ", e.Cast<object?>().Take(20)) + "]",
            _ => value?.ToString() ?? "null",
        };
        return text.Length <= 300 ? text : text[..300] + "...";
    }
}
