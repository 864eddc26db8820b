using System.Globalization;
using System.Text.Json;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>A record a member read: its partition and offset, and whether the member's commit covering it succeeded.</summary>
public readonly record struct ReadRecord(int Partition, long Offset, bool Committed);

/// <summary>
/// One member process of a consumer group (tests/clients/python/groups_member.py or node/groups_member.js), followed
/// through the prefixed JSON lines it prints: ASSIGNED/REVOKED/LOST for its assignment, BATCH then COMMIT for every
/// batch it read. It stops cleanly when the group's stop file exists, or is killed with SIGKILL.
/// </summary>
public sealed class GroupMemberProcess : IDisposable
{
    private readonly RunningScript _script;

    private GroupMemberProcess(string name, RunningScript script)
    {
        Name = name;
        _script = script;
    }

    public string Name { get; }

    public bool Killed { get; private set; }

    public bool Stopped { get; private set; }

    public string Stdout => _script.Stdout;

    public string Stderr => _script.Stderr;

    public static GroupMemberProcess Start(string name, string fileName, IEnumerable<string> arguments) =>
        new(name, RunningScript.Start(fileName, arguments));

    /// <summary>The member's lines of one kind, parsed, in the order printed.</summary>
    public IReadOnlyList<(string Kind, JsonElement Body)> Events()
    {
        var events = new List<(string, JsonElement)>();
        foreach (var raw in Stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || !char.IsUpper(line[0]) || line[space + 1] != '{')
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line[(space + 1)..]);
                events.Add((line[..space], doc.RootElement.Clone()));
            }
            catch (JsonException)
            {
                // a partly written last line: the next poll sees it whole
            }
        }

        return events;
    }

    /// <summary>The partitions it owns now (the last ASSIGNED, less what was revoked or lost since).</summary>
    public IReadOnlySet<int> Assignment
    {
        get
        {
            var owned = new HashSet<int>();
            foreach (var (kind, body) in Events())
            {
                var partitions = kind is "ASSIGNED" or "REVOKED" or "LOST" ? Partitions(body) : [];
                if (kind == "ASSIGNED")
                {
                    owned = [.. partitions];
                }
                else if (kind is "REVOKED" or "LOST")
                {
                    owned.ExceptWith(partitions);
                }
            }

            return owned;
        }
    }

    public int Count(string kind) => Events().Count(e => e.Kind == kind);

    /// <summary>Every record read; a batch counts as committed when the COMMIT line after it says ok.</summary>
    public IReadOnlyList<ReadRecord> Reads()
    {
        var reads = new List<ReadRecord>();
        var events = Events();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Kind != "BATCH")
            {
                continue;
            }

            var committed = i + 1 < events.Count && events[i + 1].Kind == "COMMIT" &&
                            events[i + 1].Body.GetProperty("ok").GetBoolean();
            foreach (var span in events[i].Body.GetProperty("read").EnumerateArray())
            {
                var partition = span[0].GetInt32();
                for (var offset = span[1].GetInt64(); offset <= span[2].GetInt64(); offset++)
                {
                    reads.Add(new ReadRecord(partition, offset, committed));
                }
            }
        }

        return reads;
    }

    public void Kill()
    {
        Killed = true;
        _script.Kill();
    }

    /// <summary>Waits for a clean exit (after the stop file appeared) and returns its JSON summary.</summary>
    public async Task<JsonElement> WaitForSummaryAsync(TimeSpan timeout)
    {
        var exit = await _script.WaitForExitAsync(timeout);
        Stopped = true;
        var last = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith('{'));
        if (exit != 0 || last == null)
        {
            throw new Xunit.Sdk.XunitException(
                $"member {Name} exited with {exit.ToString(CultureInfo.InvariantCulture)}\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}");
        }

        using var doc = JsonDocument.Parse(last);
        return doc.RootElement.Clone();
    }

    public void Dispose() => _script.Dispose();

    public override string ToString() => $"{Name} owns [{string.Join(',', Assignment.Order())}]";

    private static int[] Partitions(JsonElement body) =>
        [.. body.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32())];

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];
}
