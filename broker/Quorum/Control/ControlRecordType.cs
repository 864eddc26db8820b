using System.Buffers.Binary;

namespace KafkaOperator.Quorum.Control;

/// <summary>
/// Kafka's ControlRecordType: a control record's key is [version int16 = 0][type int16], its value the type's
/// schema (ControlRecordUtils). ABORT (0) and COMMIT (1) are transaction markers and never in the metadata log.
/// </summary>
public static class ControlRecordType
{
    public const short LeaderChange = 2;
    public const short SnapshotHeader = 3;
    public const short SnapshotFooter = 4;
    public const short KRaftVersion = 5;
    public const short KRaftVoters = 6;

    /// <summary>The record key Kafka writes for <paramref name="type"/>.</summary>
    public static byte[] Key(short type)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key.AsSpan(2), type);
        return key;
    }

    /// <summary>The type a control record's key names; null when the key is not a version 0 control key.</summary>
    public static short? Parse(ReadOnlySpan<byte> key, bool keyIsNull)
    {
        if (keyIsNull || key.Length != 4 || BinaryPrimitives.ReadInt16BigEndian(key) != 0)
            return null;
        return BinaryPrimitives.ReadInt16BigEndian(key[2..]);
    }
}
