using System.Buffers.Binary;
using System.Text;

namespace KafkaOperator.Quorum.Voters;

/// <summary>One voter of the quorum: its id, its log directory id (zero when unknown) and its quorum address ("host:port", empty when unknown).</summary>
public sealed record Voter(int Id, Guid DirectoryId, string Endpoint);

/// <summary>
/// The voter set as a control entry of the metadata log (KIP-853: Kafka's KRaftVersionRecord and VotersRecord in one
/// entry; writing it is what makes kraft.version 1). A node uses the latest one in its log, committed or not, so a
/// truncation of the log rolls the voter set back with it. Control entries are told from the state machine's
/// records by an 8-byte prefix that proposals may not start with (Kafka marks control batches in their attributes;
/// this log's entries have no attributes); the empty entry is the leader's plain epoch-start entry (Kafka's
/// LeaderChangeMessage).
/// Exception policy: a malformed control entry throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed record VotersRecord(short KRaftVersion, IReadOnlyList<Voter> Voters)
{
    /// <summary>Kafka's ControlRecordType.KRAFT_VOTERS.</summary>
    public const byte ControlType = 6;

    /// <summary>The voters' ids, computed once: the quorum asks on every poll (a copy made with <c>with</c> must keep <see cref="Voters"/>).</summary>
    public IReadOnlyList<int> Ids { get; } = [.. Voters.Select(v => v.Id)];

    public bool Contains(int id) => Ids.Contains(id);

    /// <summary>What every control entry but the empty one starts with; a proposal may not (<see cref="IsControl"/>).</summary>
    internal static ReadOnlySpan<byte> Magic => [0, 0, (byte)'K', (byte)'R', (byte)'A', (byte)'F', (byte)'T', 0];

    /// <summary>Where the control type byte is, after <see cref="Magic"/>.</summary>
    internal const int TypeAt = 8;

    /// <summary>Whether <paramref name="payload"/> is a quorum control entry (empty, or starting with <see cref="Magic"/>) rather than a state-machine record.</summary>
    public static bool IsControl(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return payload.Length == 0 || payload.AsSpan().StartsWith(Magic);
    }

    /// <summary>The voter set <paramref name="payload"/> holds, or null when it is another kind of entry.</summary>
    public static VotersRecord? TryDecode(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length <= TypeAt || !payload.AsSpan().StartsWith(Magic) || payload[TypeAt] != ControlType)
            return null;
        return Decode(payload.AsSpan(TypeAt + 1));
    }

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        buffer.WriteByte(ControlType);
        Span<byte> scratch = stackalloc byte[16];
        BinaryPrimitives.WriteInt16BigEndian(scratch, KRaftVersion);
        buffer.Write(scratch[..2]);
        BinaryPrimitives.WriteInt32BigEndian(scratch, Voters.Count);
        buffer.Write(scratch[..4]);
        foreach (var voter in Voters)
        {
            BinaryPrimitives.WriteInt32BigEndian(scratch, voter.Id);
            buffer.Write(scratch[..4]);
            voter.DirectoryId.TryWriteBytes(scratch, bigEndian: true, out _);
            buffer.Write(scratch);
            var endpoint = Encoding.UTF8.GetBytes(voter.Endpoint);
            BinaryPrimitives.WriteInt16BigEndian(scratch, checked((short)endpoint.Length));
            buffer.Write(scratch[..2]);
            buffer.Write(endpoint);
        }
        return buffer.ToArray();
    }

    private static VotersRecord Decode(ReadOnlySpan<byte> body)
    {
        try
        {
            var version = BinaryPrimitives.ReadInt16BigEndian(body);
            var count = BinaryPrimitives.ReadInt32BigEndian(body[2..]);
            var at = 6;
            if (count < 0 || count > (body.Length - at) / 22)
                throw new InvalidDataException($"a voters control entry claims {count} voters in {body.Length} bytes");
            var voters = new List<Voter>(count);
            for (var i = 0; i < count; i++)
            {
                var id = BinaryPrimitives.ReadInt32BigEndian(body[at..]);
                var directory = new Guid(body.Slice(at + 4, 16), bigEndian: true);
                var length = BinaryPrimitives.ReadInt16BigEndian(body[(at + 20)..]);
                var endpoint = Encoding.UTF8.GetString(body.Slice(at + 22, length));
                voters.Add(new Voter(id, directory, endpoint));
                at += 22 + length;
            }
            if (at != body.Length)
                throw new InvalidDataException($"a voters control entry has {body.Length - at} bytes after its voters");
            return new VotersRecord(version, voters);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("a voters control entry is truncated", ex);
        }
    }
}
