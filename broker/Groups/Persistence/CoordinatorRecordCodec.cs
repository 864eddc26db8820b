using System.Buffers;
using System.Buffers.Binary;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Groups.Persistence;

/// <summary>A decoded __consumer_offsets record: an offset commit or a group's metadata; a null value is a tombstone.</summary>
public abstract record CoordinatorRecord(string Group);

public sealed record OffsetRecord(string Group, TopicPartition Partition, OffsetAndMetadata? Value) : CoordinatorRecord(Group);

public sealed record GroupRecord(string Group, GroupMetadataValue? Value) : CoordinatorRecord(Group);

/// <summary>
/// Encodes and decodes the keys and values of __consumer_offsets with Kafka's schemas.
/// Exception policy: <see cref="TryDecode"/> returns null for records it does not know (future key types);
/// malformed bytes throw <see cref="KafkaProtocolException"/>.
/// </summary>
public static class CoordinatorRecordCodec
{
    public const short OffsetCommitValueVersion = 3;
    public const short GroupMetadataValueVersion = 3;

    public static byte[] OffsetKey(string group, TopicPartition tp) =>
        Encode(RecordTypes.OffsetCommitKeyType, new OffsetCommitKey { Group = group, Topic = tp.Topic, Partition = tp.Partition }, 0);

    public static byte[] OffsetValue(OffsetAndMetadata value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var version = value.ExpireTimestamp >= 0 ? (short)1 : OffsetCommitValueVersion;
        return Encode(version, new OffsetCommitValue
        {
            Offset = value.Offset,
            LeaderEpoch = value.LeaderEpoch,
            Metadata = value.Metadata,
            CommitTimestamp = value.CommitTimestamp,
            ExpireTimestamp = value.ExpireTimestamp,
        }, version);
    }

    public static byte[] GroupKey(string group) =>
        Encode(RecordTypes.GroupMetadataKeyType, new GroupMetadataKey { Group = group }, RecordTypes.GroupMetadataKeyType);

    public static byte[] GroupValue(GroupMetadataValue value) => Encode(GroupMetadataValueVersion, value, GroupMetadataValueVersion);

    /// <summary>Decodes one record; null when its key type is not one the classic coordinator writes.</summary>
    public static CoordinatorRecord? TryDecode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        if (key.Length < 2)
            throw new KafkaProtocolException("__consumer_offsets record key shorter than its version");
        var keyType = BinaryPrimitives.ReadInt16BigEndian(key);
        switch (keyType)
        {
            case 0 or 1:
                {
                    var k = Decode<OffsetCommitKey>(key[2..], keyType);
                    var tp = new TopicPartition(k.Topic, k.Partition);
                    if (valueIsNull)
                        return new OffsetRecord(k.Group, tp, null);
                    var version = ValueVersion(value);
                    var v = Decode<OffsetCommitValue>(value[2..], version);
                    return new OffsetRecord(k.Group, tp, new OffsetAndMetadata(v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp, v.ExpireTimestamp));
                }
            case 2:
                {
                    var k = Decode<GroupMetadataKey>(key[2..], keyType);
                    return new GroupRecord(k.Group, valueIsNull ? null : Decode<GroupMetadataValue>(value[2..], ValueVersion(value)));
                }
            default:
                return null;
        }
    }

    private static short ValueVersion(ReadOnlySpan<byte> value) =>
        value.Length >= 2 ? BinaryPrimitives.ReadInt16BigEndian(value)
        : throw new KafkaProtocolException("__consumer_offsets record value shorter than its version");

    private static byte[] Encode<T>(short prefix, T message, short version)
        where T : class
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        BinaryPrimitives.WriteInt16BigEndian(buffer.GetSpan(2), prefix);
        buffer.Advance(2);
        var writer = new KafkaWriter(buffer);
        MessageCodec.Write(ref writer, message, version);
        return buffer.WrittenSpan.ToArray();
    }

    private static T Decode<T>(ReadOnlySpan<byte> bytes, short version)
        where T : class
    {
        var reader = new KafkaReader(bytes.ToArray());
        return MessageCodec.Read<T>(ref reader, version);
    }
}
