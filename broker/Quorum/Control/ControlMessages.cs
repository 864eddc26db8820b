using System.Buffers;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Quorum.Control;

/// <summary>Kafka's LeaderChangeMessage v0: the leader of the epoch that starts here, the voters then, and who voted for it.</summary>
public sealed record LeaderChangeMessage(int LeaderId, IReadOnlyList<int> Voters, IReadOnlyList<int> GrantingVoters);

/// <summary>
/// The values of Kafka's control records (clients/src/main/resources/common/message: LeaderChangeMessage,
/// SnapshotHeaderRecord, SnapshotFooterRecord, KRaftVersionRecord; VotersRecord is <c>Voters.VotersRecord</c>),
/// each at version 0, which is flexible: compact arrays and strings, a tag buffer after every struct. Readers
/// take any version and skip what they do not know, as Kafka's do with tagged fields.
/// Exception policy: a value that is truncated or malformed throws <see cref="InvalidDataException"/>.
/// </summary>
public static class ControlMessages
{
    public static byte[] EncodeLeaderChange(LeaderChangeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Write((ref KafkaWriter w) =>
        {
            w.WriteInt16(0);
            w.WriteInt32(message.LeaderId);
            WriteVoterIds(ref w, message.Voters);
            WriteVoterIds(ref w, message.GrantingVoters);
            w.WriteUnsignedVarInt(0);
        });
    }

    public static LeaderChangeMessage DecodeLeaderChange(ReadOnlyMemory<byte> value) => Read(value, "LeaderChangeMessage", (ref KafkaReader r) =>
    {
        r.ReadInt16();
        var leader = r.ReadInt32();
        var voters = ReadVoterIds(ref r);
        var granting = ReadVoterIds(ref r);
        r.SkipTaggedFields();
        return new LeaderChangeMessage(leader, voters, granting);
    });

    public static byte[] EncodeSnapshotHeader(long lastContainedLogTimestamp) => Write((ref KafkaWriter w) =>
    {
        w.WriteInt16(0);
        w.WriteInt64(lastContainedLogTimestamp);
        w.WriteUnsignedVarInt(0);
    });

    /// <summary>The header's LastContainedLogTimestamp.</summary>
    public static long DecodeSnapshotHeader(ReadOnlyMemory<byte> value) => Read(value, "SnapshotHeaderRecord", (ref KafkaReader r) =>
    {
        r.ReadInt16();
        var timestamp = r.ReadInt64();
        r.SkipTaggedFields();
        return timestamp;
    });

    public static byte[] EncodeSnapshotFooter() => Write((ref KafkaWriter w) =>
    {
        w.WriteInt16(0);
        w.WriteUnsignedVarInt(0);
    });

    public static void DecodeSnapshotFooter(ReadOnlyMemory<byte> value) => Read(value, "SnapshotFooterRecord", (ref KafkaReader r) =>
    {
        r.ReadInt16();
        r.SkipTaggedFields();
        return 0;
    });

    public static byte[] EncodeKRaftVersion(short kraftVersion) => Write((ref KafkaWriter w) =>
    {
        w.WriteInt16(0);
        w.WriteInt16(kraftVersion);
        w.WriteUnsignedVarInt(0);
    });

    public static short DecodeKRaftVersion(ReadOnlyMemory<byte> value) => Read(value, "KRaftVersionRecord", (ref KafkaReader r) =>
    {
        r.ReadInt16();
        var version = r.ReadInt16();
        r.SkipTaggedFields();
        return version;
    });

    internal delegate void Writer(ref KafkaWriter writer);

    internal delegate T Reader<out T>(ref KafkaReader reader);

    internal static byte[] Write(Writer body)
    {
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new KafkaWriter(output);
        body(ref writer);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads the whole of <paramref name="value"/> as <paramref name="name"/>; bytes left over or missing are malformed.</summary>
    internal static T Read<T>(ReadOnlyMemory<byte> value, string name, Reader<T> body)
    {
        var reader = new KafkaReader(value);
        T result;
        try
        {
            result = body(ref reader);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or KafkaProtocolException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"a {name} control record is malformed: {ex.Message}", ex);
        }
        if (!reader.IsAtEnd)
            throw new InvalidDataException($"a {name} control record has {reader.Remaining} bytes after its fields");
        return result;
    }

    private static void WriteVoterIds(ref KafkaWriter writer, IReadOnlyList<int> ids)
    {
        writer.WriteUnsignedVarInt((uint)ids.Count + 1);
        foreach (var id in ids)
        {
            writer.WriteInt32(id);
            writer.WriteUnsignedVarInt(0);
        }
    }

    private static List<int> ReadVoterIds(ref KafkaReader reader)
    {
        var count = reader.ReadCompactLength();
        if (count < 0 || count > reader.Remaining / 5)
            throw new InvalidDataException($"a control record claims {count} voters in {reader.Remaining} bytes");
        var ids = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(reader.ReadInt32());
            reader.SkipTaggedFields();
        }
        return ids;
    }
}
