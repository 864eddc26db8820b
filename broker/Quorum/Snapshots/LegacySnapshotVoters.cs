using System.Buffers.Binary;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Snapshots;

/// <summary>
/// The payload of an old-format snapshot file: the voter set in force at its end ahead of the state machine's bytes,
/// [0, 'V', 'S', 1][int32 length][voters entry][state], or the state alone (written before voter sets lived in the
/// log). Read only to convert such files to Kafka's format (<see cref="FileSnapshotStore"/>).
/// </summary>
internal static class LegacySnapshotVoters
{
    private static ReadOnlySpan<byte> Magic => [0, (byte)'V', (byte)'S', 1];

    /// <summary>The payload an old node wrote for <paramref name="voters"/> and <paramref name="state"/> (for upgrade tests).</summary>
    public static byte[] Wrap(VotersRecord? voters, byte[] state)
    {
        if (voters is null)
            return state;
        var header = voters.EncodeLegacy();
        var data = new byte[8 + header.Length + state.Length];
        Magic.CopyTo(data);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), header.Length);
        header.CopyTo(data, 8);
        state.CopyTo(data, 8 + header.Length);
        return data;
    }

    /// <summary>The voter set the payload carries (null when none) and the state machine's bytes.</summary>
    public static (VotersRecord? Voters, byte[] State) Unwrap(byte[] data)
    {
        if (data.Length < 8 || !data.AsSpan(0, 4).SequenceEqual(Magic))
            return (null, data);
        var length = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        if (length < 0 || length > data.Length - 8)
            throw new InvalidDataException($"a snapshot's voter set claims {length} bytes of {data.Length - 8}");
        var voters = VotersRecord.TryDecode(data.AsSpan(8, length).ToArray())
            ?? throw new InvalidDataException("a snapshot's voter set is not a voters entry");
        return (voters, data.AsSpan(8 + length).ToArray());
    }
}
