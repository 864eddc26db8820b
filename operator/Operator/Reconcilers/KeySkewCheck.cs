using KafkaOperator.Client.Admin;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>A topic's heaviest recent key as its partition leaders report it.</summary>
/// <param name="Key">The key for display (printable, hex, or its hash).</param>
/// <param name="Share">Its share of the topic's recent records, 0–1.</param>
/// <param name="Records">The topic's sampled recent records (0: nothing to judge).</param>
public sealed record TopKeyReading(string Key, double Share, IReadOnlyList<int> Partitions, long Records);

/// <summary>Reads a topic's top key; tests substitute a fake.</summary>
public interface IKeySkewReader
{
    /// <summary>Null when the brokers could not tell (no metrics port reachable); Key empty when no key stands out.</summary>
    Task<TopKeyReading?> ReadTopKeyAsync(string bootstrap, string topic, CancellationToken ct);
}

/// <summary>
/// <see cref="IKeySkewReader"/> through the Kafka protocol (Metadata and DescribeConfigs find each partition
/// leader's metrics port) and the brokers' <c>/topics/&lt;topic&gt;/skew</c> JSON, merged by <see cref="KeySkewReader"/>.
/// </summary>
public sealed class KafkaKeySkewReader : IKeySkewReader
{
    public async Task<TopKeyReading?> ReadTopKeyAsync(string bootstrap, string topic, CancellationToken ct)
    {
        try
        {
            await using var admin = await KafkaAdminClient.ConnectAsync(bootstrap, ct).ConfigureAwait(false);
            var skew = await KeySkewReader.ReadAsync(admin, topic, cancellationToken: ct).ConfigureAwait(false);
            if (skew.Partitions.Count == 0)
                return null;
            return skew.Top is { } top
                ? new TopKeyReading(top.Display, top.Share, top.Partitions, skew.Records)
                : new TopKeyReading("", 0, [], skew.Records);
        }
        catch (Exception e) when (e is Client.KafkaException or IOException or System.Net.Sockets.SocketException or HttpRequestException or InvalidOperationException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return null;
        }
    }
}
