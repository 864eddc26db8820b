using System.Text.Json;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// Runs one round-trip script of a real client against the shared broker and asserts on the JSON summary it
/// prints: every record produced is consumed back once, equal in key, value, headers, partition, offset order
/// and timestamp (see tests/clients/python/roundtrip_common.py and tests/clients/node/spec.js).
/// </summary>
public static class RoundTrip
{
    public static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    public static async Task<JsonElement> RunAsync(
        BrokerProcess broker, ITestOutputHelper output, string fileName, params string[] arguments)
    {
        var result = await ClientScript.RunAsync(fileName, arguments, ScriptTimeout, output);
        JsonElement summary;
        try
        {
            summary = result.RequireSummary();
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- broker log (tail) ---\n{Tail(broker.Log)}");
        }

        var failures = new List<string>();
        foreach (var run in summary.GetProperty("results").EnumerateArray())
        {
            if (!run.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
            {
                failures.Add(run.GetRawText());
            }
        }

        if (failures.Count > 0 || !summary.GetProperty("ok").GetBoolean())
        {
            throw new Xunit.Sdk.XunitException(
                $"round trip failed:\n{string.Join('\n', failures)}\n--- broker log (tail) ---\n{Tail(broker.Log)}");
        }

        return summary;
    }

    /// <summary>Asserts the single result of a run consumed exactly what it produced.</summary>
    public static JsonElement SingleResult(JsonElement summary, int expected)
    {
        var run = Assert.Single(summary.GetProperty("results").EnumerateArray());
        Assert.Equal(expected, run.GetProperty("produced").GetInt32());
        Assert.Equal(expected, run.GetProperty("consumed").GetInt32());
        Assert.Equal(0, run.GetProperty("error_count").GetInt32());
        return run;
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
