using System.Globalization;
using KafkaOperator.Client;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>Polls a cluster read until a condition holds: how tests wait for metadata to propagate, with a deadline instead of a fixed sleep.</summary>
public static class Eventually
{
    public static async Task<T> WaitForAsync<T>(ITestOutputHelper output, TimeSpan deadline, Func<Task<T>> read, Func<T, bool> done, string what)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var until = DateTime.UtcNow + deadline;
        Exception? last = null;
        while (DateTime.UtcNow < until)
        {
            try
            {
                var value = await read();
                if (done(value))
                    return value;
                last = null;
            }
            catch (KafkaException ex)
            {
                last = ex;
            }
            await Task.Delay(100);
        }
        output.WriteLine($"timed out waiting for {what}; last error: {last}");
        throw new TimeoutException($"timed out after {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s waiting for {what}");
    }
}
