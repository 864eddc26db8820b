using System.Buffers.Binary;

namespace KafkaOperator.Quorum.Voters;

/// <summary>
/// A snapshot carries the voter set in force at its end ahead of the state machine's bytes (as Kafka's snapshot
/// header batch carries a VotersRecord), so a node that starts from it, or installs it from the leader, knows the
/// voters without the log below it: [0, 'V', 'S', 1][int32 length][voters entry][state]. A snapshot without that
/// prefix (written before voter sets lived in the log) is the state alone.
/// </summary>
internal static class SnapshotVoters
{
    private static ReadOnlySpan<byte> Magic => [0, (byte)'V', (byte)'S', 1];

    /// <summary>The capture with <paramref name="voters"/> ahead of its bytes; the capture itself when null.</summary>
    public static Func<byte[]> Wrap(VotersRecord? voters, Func<byte[]> capture)
    {
        if (voters is null)
            return capture;
        var header = voters.Encode();
        return () =>
        {
            var state = capture();
            var data = new byte[8 + header.Length + state.Length];
            Magic.CopyTo(data);
            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), header.Length);
            header.CopyTo(data, 8);
            state.CopyTo(data, 8 + header.Length);
            return data;
        };
    }

    /// <summary>The voter set a snapshot carries (null when none) and the state machine's bytes.</summary>
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
