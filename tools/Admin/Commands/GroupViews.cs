using KafkaOperator.Admin.Groups;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

public sealed record GroupRow(string GroupId, string State, string ProtocolType, int Coordinator);

/// <summary>A member; <see cref="Assignment"/> is null when its assignment bytes are not consumer-protocol.</summary>
public sealed record GroupMemberView(string MemberId, string? GroupInstanceId, string ClientId, string Host,
    IReadOnlyList<TopicPartitions>? Assignment, IReadOnlyList<string>? Subscription);

/// <summary>Committed offset (null without a commit), log end offset (null when unknown) and lag (null when either is).</summary>
public sealed record PartitionLag(string Topic, int Partition, long? CommittedOffset, long? LogEndOffset, long? Lag,
    string? MemberId, string? ClientId, string? Host);

public sealed record GroupDetail(string GroupId, string State, string ProtocolType, string Protocol, string? Coordinator,
    IReadOnlyList<GroupMemberView> Members, IReadOnlyList<PartitionLag> Partitions)
{
    /// <summary>
    /// The group's lag, or null when any partition's is unknown (no committed offset, or no log end offset): an
    /// unread topic with nothing committed is not "lag 0".
    /// </summary>
    public long? TotalLag => LagUnknownPartitions == 0 ? KnownLag : null;

    /// <summary>The sum over the partitions whose lag is known: a lower bound when some are not.</summary>
    public long KnownLag => Partitions.Sum(p => p.Lag ?? 0);

    public int LagUnknownPartitions => Partitions.Count(p => p.Lag is null);
}

public sealed record ResetRow(string Topic, int Partition, long? CurrentOffset, long NewOffset);

public sealed record ResetResult(string GroupId, string Strategy, bool Executed, IReadOnlyList<ResetRow> Partitions);

public sealed record GroupOperation(string GroupId, string Operation, bool Succeeded, string? Error);

/// <summary>Lag computation and table rendering of group results; the json form is the records themselves.</summary>
public static class GroupViews
{
    /// <summary>
    /// One row per partition the group has committed or a member is assigned. Lag = log end offset − committed
    /// offset, never negative (a commit can briefly run ahead of a ListOffsets answered earlier).
    /// </summary>
    public static IReadOnlyList<PartitionLag> Lags(IEnumerable<GroupOffset> committed,
        IReadOnlyDictionary<TopicPartition, long> logEnd, IReadOnlyList<GroupMemberView> members)
    {
        var owners = new Dictionary<TopicPartition, GroupMemberView>();
        foreach (var member in members)
        {
            foreach (var topic in member.Assignment ?? [])
            {
                foreach (var partition in topic.Partitions)
                {
                    owners[new TopicPartition(topic.Topic, partition)] = member;
                }
            }
        }

        var commits = committed.Where(c => c.Succeeded && c.Offset >= 0).ToDictionary(c => c.Partition, c => c.Offset);
        return commits.Keys.Union(owners.Keys)
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)
            .Select(p =>
            {
                long? offset = commits.TryGetValue(p, out var c) ? c : null;
                long? end = logEnd.TryGetValue(p, out var e) && e >= 0 ? e : null;
                long? lag = offset is { } o && end is { } l ? Math.Max(0, l - o) : null;
                owners.TryGetValue(p, out var owner);
                return new PartitionLag(p.Topic, p.Partition, offset, end, lag, owner?.MemberId, owner?.ClientId, owner?.Host);
            })
            .ToList();
    }

    public static GroupMemberView Member(GroupMember member, string protocolType)
    {
        var consumer = protocolType is "consumer" or "";
        var assignment = consumer ? ConsumerProtocol.TryDecodeAssignment(member.Assignment) : null;
        var subscription = consumer && member.Metadata.Length > 0 ? ConsumerProtocol.TryDecodeSubscription(member.Metadata) : null;
        return new GroupMemberView(member.MemberId, member.GroupInstanceId, member.ClientId, member.ClientHost,
            assignment?.Topics, subscription?.Topics);
    }

    public static void WriteList(TextWriter writer, IReadOnlyList<GroupRow> groups)
    {
        var table = new TextTable("GROUP", "STATE", "PROTOCOL-TYPE", "COORDINATOR").AlignRight("COORDINATOR");
        foreach (var g in groups)
        {
            table.AddRow(g.GroupId, g.State, g.ProtocolType, g.Coordinator);
        }

        table.WriteTo(writer);
    }

    public static void WriteDetail(TextWriter writer, GroupDetail group)
    {
        writer.WriteLine($"Group: {group.GroupId}   State: {group.State}   Protocol: {Dash(group.ProtocolType)}/{Dash(group.Protocol)}   Coordinator: {Dash(group.Coordinator)}");
        writer.WriteLine();
        if (group.Members.Count == 0)
        {
            writer.WriteLine("Members: none");
        }
        else
        {
            var members = new TextTable("MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT");
            foreach (var m in group.Members)
            {
                members.AddRow(m.MemberId, m.GroupInstanceId, m.ClientId, m.Host,
                    m.Assignment is null ? "(not consumer protocol)" : ConsumerProtocol.Format(m.Assignment));
            }

            members.WriteTo(writer);
        }

        writer.WriteLine();
        var table = new TextTable("TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
            .AlignRight("PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG");
        foreach (var p in group.Partitions)
        {
            table.AddRow(p.Topic, p.Partition, p.CommittedOffset, p.LogEndOffset, p.Lag, p.MemberId, p.Host, p.ClientId);
        }

        table.WriteTo(writer);
        writer.WriteLine();
        writer.WriteLine(group switch
        {
            { TotalLag: { } total } => $"Total lag: {total}",
            _ when group.LagUnknownPartitions == group.Partitions.Count => $"Total lag: - (unknown for every partition: no committed offset or no log end offset)",
            _ => $"Total lag: at least {group.KnownLag} (unknown for {group.LagUnknownPartitions} of {group.Partitions.Count} partitions)",
        });
    }

    public static void WriteReset(TextWriter writer, ResetResult reset)
    {
        var table = new TextTable("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET")
            .AlignRight("PARTITION", "CURRENT-OFFSET", "NEW-OFFSET");
        foreach (var r in reset.Partitions)
        {
            table.AddRow(reset.GroupId, r.Topic, r.Partition, r.CurrentOffset, r.NewOffset);
        }

        table.WriteTo(writer);
    }

    private static string Dash(string? value) => string.IsNullOrEmpty(value) ? "-" : value;
}
