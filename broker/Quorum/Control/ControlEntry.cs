namespace KafkaOperator.Quorum.Control;

/// <summary>
/// The quorum's own entries in its log, which has no batch attributes to mark them: an 8-byte prefix that proposals
/// may not start with, the Kafka control type, then the control record's value in Kafka's schema. The prefix's last
/// byte is the format: 1 for Kafka's schemas; 0 for the voters entries of nodes before that (their own encoding,
/// still read, see <c>VotersRecord</c>). The empty entry is the epoch-start entry of those older nodes.
/// </summary>
public static class ControlEntry
{
    /// <summary>Where the control type byte is, after the prefix.</summary>
    public const int TypeAt = 8;

    /// <summary>The prefix's format byte for values in Kafka's schemas.</summary>
    public const byte KafkaFormat = 1;

    /// <summary>The prefix's format byte of the older voters entries.</summary>
    public const byte LegacyFormat = 0;

    private static ReadOnlySpan<byte> Reserved => [0, 0, (byte)'K', (byte)'R', (byte)'A', (byte)'F', (byte)'T'];

    /// <summary>Whether <paramref name="payload"/> is a quorum control entry (empty, or starting with the reserved prefix) rather than a state-machine record.</summary>
    public static bool IsControl(ReadOnlySpan<byte> payload) => payload.Length == 0 || payload.StartsWith(Reserved);

    /// <summary>The entry holding a control record of <paramref name="type"/> whose value (Kafka's schema) is <paramref name="value"/>.</summary>
    public static byte[] Create(short type, ReadOnlySpan<byte> value) => Create(KafkaFormat, checked((byte)type), value);

    internal static byte[] Create(byte format, byte type, ReadOnlySpan<byte> value)
    {
        var payload = new byte[TypeAt + 1 + value.Length];
        Reserved.CopyTo(payload);
        payload[TypeAt - 1] = format;
        payload[TypeAt] = type;
        value.CopyTo(payload.AsSpan(TypeAt + 1));
        return payload;
    }

    /// <summary>The format byte and control type of a non-empty control entry; null for anything else.</summary>
    public static (byte Format, byte Type)? Header(ReadOnlySpan<byte> payload) =>
        payload.Length > TypeAt && payload.StartsWith(Reserved) ? (payload[TypeAt - 1], payload[TypeAt]) : null;

    /// <summary>The control record's value a non-empty control entry holds.</summary>
    public static ReadOnlyMemory<byte> Value(byte[] payload) => payload.AsMemory(TypeAt + 1);
}
