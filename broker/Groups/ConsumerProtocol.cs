using System.Buffers.Binary;
using System.Text;

namespace KafkaOperator.Groups;

/// <summary>
/// The consumer protocol's Subscription (ConsumerProtocolSubscription v0-v3): int16 version, then the topics
/// array. Only the topics are read (OffsetDelete must know what the group consumes); the rest (user data, owned
/// partitions for cooperative rebalancing, rack) is relayed to the leader untouched.
/// </summary>
public static class ConsumerProtocol
{
    /// <summary>The subscribed topics, or null when the bytes are not a subscription we can read.</summary>
    public static List<string>? TryReadSubscriptionTopics(ReadOnlySpan<byte> metadata)
    {
        if (metadata.Length < 6)
            return null;
        var version = BinaryPrimitives.ReadInt16BigEndian(metadata);
        if (version < 0)
            return null;
        var pos = 2;
        var count = BinaryPrimitives.ReadInt32BigEndian(metadata[pos..]);
        pos += 4;
        if (count < 0 || count > metadata.Length)
            return null;
        var topics = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            if (pos + 2 > metadata.Length)
                return null;
            var len = BinaryPrimitives.ReadInt16BigEndian(metadata[pos..]);
            pos += 2;
            if (len < 0 || pos + len > metadata.Length)
                return null;
            topics.Add(Encoding.UTF8.GetString(metadata.Slice(pos, len)));
            pos += len;
        }
        return topics;
    }
}
