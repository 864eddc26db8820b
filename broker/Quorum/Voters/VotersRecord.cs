using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Quorum.Control;

namespace KafkaOperator.Quorum.Voters;

/// <summary>One voter of the quorum: its id, its log directory id (zero when unknown) and its quorum address ("host:port", empty when unknown).</summary>
public sealed record Voter(int Id, Guid DirectoryId, string Endpoint);

/// <summary>
/// The voter set as a control entry of the metadata log (KIP-853): Kafka's KRAFT_VOTERS control record, whose value
/// is Kafka's VotersRecord v0; one in the log is what makes kraft.version 1 (Kafka writes a KRaftVersionRecord
/// beside the first one; this log holds one entry per offset, so the version is implied). A node uses the latest one
/// in its log, committed or not, so a truncation of the log rolls the voter set back with it.
/// Each voter's one endpoint is written as the listener <see cref="ListenerName"/> with the voter's supported
/// kraft.version range 0–1; a record read with several endpoints keeps the first.
/// Exception policy: a malformed control entry throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed record VotersRecord(short KRaftVersion, IReadOnlyList<Voter> Voters)
{
    /// <summary>Kafka's ControlRecordType.KRAFT_VOTERS.</summary>
    public const byte ControlType = (byte)ControlRecordType.KRaftVoters;

    /// <summary>The listener name the voters' endpoints are written under (Kafka's controller listener).</summary>
    public const string ListenerName = "CONTROLLER";

    /// <summary>The voters' ids, computed once: the quorum asks on every poll (a copy made with <c>with</c> must keep <see cref="Voters"/>).</summary>
    public IReadOnlyList<int> Ids { get; } = [.. Voters.Select(v => v.Id)];

    public bool Contains(int id) => Ids.Contains(id);

    /// <summary>Whether <paramref name="payload"/> is a quorum control entry rather than a state-machine record.</summary>
    public static bool IsControl(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ControlEntry.IsControl(payload);
    }

    /// <summary>The voter set <paramref name="payload"/> holds, or null when it is another kind of entry.</summary>
    public static VotersRecord? TryDecode(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ControlEntry.Header(payload) switch
        {
            (ControlEntry.KafkaFormat, ControlType) => DecodeValue(ControlEntry.Value(payload)),
            (ControlEntry.LegacyFormat, ControlType) => DecodeLegacy(payload.AsSpan(ControlEntry.TypeAt + 1)),
            _ => null,
        };
    }

    /// <summary>The log entry: a control entry holding <see cref="EncodeValue"/>.</summary>
    public byte[] Encode() => ControlEntry.Create(ControlRecordType.KRaftVoters, EncodeValue());

    /// <summary>Kafka's VotersRecord v0, the value of a KRAFT_VOTERS control record.</summary>
    public byte[] EncodeValue() => ControlMessages.Write((ref KafkaWriter w) =>
    {
        w.WriteInt16(0);
        w.WriteUnsignedVarInt((uint)Voters.Count + 1);
        foreach (var voter in Voters)
        {
            w.WriteInt32(voter.Id);
            w.WriteUuid(voter.DirectoryId);
            if (SplitEndpoint(voter.Endpoint) is var (host, port))
            {
                w.WriteUnsignedVarInt(2);
                w.WriteCompactString(ListenerName);
                w.WriteCompactString(host);
                w.WriteUInt16(port);
                w.WriteUnsignedVarInt(0);
            }
            else
            {
                w.WriteUnsignedVarInt(1);
            }
            w.WriteInt16(0);
            w.WriteInt16(1);
            w.WriteUnsignedVarInt(0);
            w.WriteUnsignedVarInt(0);
        }
        w.WriteUnsignedVarInt(0);
    });

    /// <summary>Reads Kafka's VotersRecord (any version: unknown tagged fields are skipped); a set read from the log is kraft.version 1.</summary>
    public static VotersRecord DecodeValue(ReadOnlyMemory<byte> value) => ControlMessages.Read(value, "VotersRecord", (ref KafkaReader r) =>
    {
        r.ReadInt16();
        var count = r.ReadCompactLength();
        if (count < 0)
            throw new InvalidDataException("a VotersRecord control record has a null voter list");
        var voters = new List<Voter>(count);
        for (var i = 0; i < count; i++)
        {
            var id = r.ReadInt32();
            var directory = r.ReadUuid();
            var endpoints = r.ReadCompactLength();
            var endpoint = "";
            for (var e = 0; e < endpoints; e++)
            {
                r.ReadCompactString();
                var host = r.ReadCompactString();
                var port = r.ReadUInt16();
                r.SkipTaggedFields();
                if (e == 0)
                    endpoint = JoinEndpoint(host, port);
            }
            r.ReadInt16();
            r.ReadInt16();
            r.SkipTaggedFields();
            r.SkipTaggedFields();
            voters.Add(new Voter(id, directory, endpoint));
        }
        r.SkipTaggedFields();
        return new VotersRecord(1, voters);
    });

    /// <summary>"host:port" (IPv6 hosts in brackets, as the quorum's addresses are written) split; null when empty or unparsable.</summary>
    private static (string Host, ushort Port)? SplitEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            return null;
        var host = endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return (host, port);
    }

    private static string JoinEndpoint(string host, ushort port) =>
        string.Create(CultureInfo.InvariantCulture, $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");

    /// <summary>The voters entries of nodes before Kafka's schema: [int16 version][int32 count] then per voter [int32 id][uuid][int16 length][endpoint].</summary>
    private static VotersRecord DecodeLegacy(ReadOnlySpan<byte> body)
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

    /// <summary>A legacy-format voters entry, as nodes before Kafka's schema wrote it (for upgrade tests).</summary>
    internal byte[] EncodeLegacy()
    {
        using var buffer = new MemoryStream();
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
        return ControlEntry.Create(ControlEntry.LegacyFormat, ControlType, buffer.ToArray());
    }
}
