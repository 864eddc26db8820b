using System.Globalization;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>
/// One quorum replica. Timestamps are the leader's Unix ms (null: unknown); ages are relative to when kafkactl
/// asked (null: unknown). Lag is high watermark − log end offset, 0 at or past it (null: unknown).
/// </summary>
public sealed record QuorumReplicaRow(int Id, string Status, long? LogEndOffset, long? Lag, long? LastFetchTimestamp,
    long? LastFetchAgeMs, long? LastCaughtUpTimestamp, long? LastCaughtUpAgeMs);

public sealed record QuorumDetail(int LeaderId, int LeaderEpoch, long HighWatermark, long MaxLag,
    IReadOnlyList<QuorumReplicaRow> Voters, IReadOnlyList<QuorumReplicaRow> Observers);

/// <summary>Table rendering of the quorum; the json form is the records themselves.</summary>
public static class QuorumViews
{
    public static QuorumDetail Detail(QuorumDescription quorum, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(quorum);
        var voters = quorum.Voters.Select(v => Row(v, v.Id == quorum.LeaderId ? "leader" : "follower", nowMs)).ToList();
        var observers = quorum.Observers.Select(v => Row(v, "observer", nowMs)).ToList();
        var maxLag = voters.Concat(observers).Select(r => r.Lag ?? 0).DefaultIfEmpty(0).Max();
        return new QuorumDetail(quorum.LeaderId, quorum.LeaderEpoch, quorum.HighWatermark, maxLag, voters, observers);
    }

    public static void WriteDetail(TextWriter writer, QuorumDetail quorum)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(quorum);
        writer.WriteLine($"Leader: {quorum.LeaderId}   Epoch: {quorum.LeaderEpoch}   HighWatermark: {quorum.HighWatermark}   MaxLag: {quorum.MaxLag}   Voters: {quorum.Voters.Count}   Observers: {quorum.Observers.Count}");
        writer.WriteLine();
        var table = new TextTable("NODE", "STATUS", "LOG-END", "LAG", "LAST-FETCH", "LAST-CAUGHT-UP")
            .AlignRight("NODE", "LOG-END", "LAG", "LAST-FETCH", "LAST-CAUGHT-UP");
        foreach (var r in quorum.Voters.Concat(quorum.Observers))
        {
            table.AddRow(r.Id, r.Status, r.LogEndOffset, r.Lag, Age(r.LastFetchAgeMs), Age(r.LastCaughtUpAgeMs));
        }

        table.WriteTo(writer);
    }

    /// <summary>"850 ms ago", "12.3 s ago", "5.0 min ago"; null (shown as "-") when unknown.</summary>
    public static string? Age(long? ms) => ms switch
    {
        null => null,
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms} ms ago"),
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.0} s ago"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000.0:0.0} min ago"),
    };

    private static QuorumReplicaRow Row(QuorumReplica replica, string status, long nowMs) =>
        new(replica.Id, status,
            replica.LogEndOffset >= 0 ? replica.LogEndOffset : null,
            replica.Lag >= 0 ? replica.Lag : null,
            replica.LastFetchTimestamp >= 0 ? replica.LastFetchTimestamp : null,
            replica.LastFetchTimestamp >= 0 ? Math.Max(0, nowMs - replica.LastFetchTimestamp) : null,
            replica.LastCaughtUpTimestamp >= 0 ? replica.LastCaughtUpTimestamp : null,
            replica.LastCaughtUpTimestamp >= 0 ? Math.Max(0, nowMs - replica.LastCaughtUpTimestamp) : null);
}
