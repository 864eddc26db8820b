using System.Buffers.Binary;
using System.Text;

namespace KafkaOperator.Admin.Groups;

/// <summary>Topic → partitions owned or assigned, in the consumer protocol's order.</summary>
public sealed record TopicPartitions(string Topic, IReadOnlyList<int> Partitions);

public sealed record ConsumerAssignment(short Version, IReadOnlyList<TopicPartitions> Topics, byte[]? UserData);

public sealed record ConsumerSubscription(short Version, IReadOnlyList<string> Topics, byte[]? UserData,
    IReadOnlyList<TopicPartitions> OwnedPartitions, int GenerationId, string? RackId);

/// <summary>
/// Decodes the member metadata (ConsumerProtocolSubscription) and assignment (ConsumerProtocolAssignment) that
/// consumer-group members exchange through the coordinator. Both are non-flexible big-endian structs whose fields
/// only grow with the version, so newer versions decode as far as this reader knows them. Malformed bytes yield
/// null: a describe must still show the rest of the group.
/// </summary>
public static class ConsumerProtocol
{
    public static ConsumerAssignment? TryDecodeAssignment(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            // A member that has joined but not yet synced has an empty assignment.
            return new ConsumerAssignment(0, [], null);
        }

        var reader = new Reader(data);
        if (!reader.Int16(out var version) || version < 0
            || !reader.TopicPartitionsArray(out var topics)
            || !reader.Bytes(out var userData))
        {
            return null;
        }

        return new ConsumerAssignment(version, topics, userData);
    }

    public static ConsumerSubscription? TryDecodeSubscription(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        if (!reader.Int16(out var version) || version < 0
            || !reader.StringArray(out var topics)
            || !reader.Bytes(out var userData))
        {
            return null;
        }

        IReadOnlyList<TopicPartitions> owned = [];
        var generation = -1;
        string? rack = null;
        if ((version >= 1 && !reader.TopicPartitionsArray(out owned))
            || (version >= 2 && !reader.Int32(out generation))
            || (version >= 3 && !reader.NullableString(out rack)))
        {
            return null;
        }

        return new ConsumerSubscription(version, topics, userData, owned, generation, rack);
    }

    /// <summary>"orders:0,1;payments:2" — compact, stable text for tables.</summary>
    public static string Format(IReadOnlyList<TopicPartitions> topics) =>
        string.Join(';', topics.Select(t => $"{t.Topic}:{string.Join(',', t.Partitions)}"));

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Int16(out short value)
        {
            value = 0;
            if (_data.Length - _position < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadInt16BigEndian(_data[_position..]);
            _position += 2;
            return true;
        }

        public bool Int32(out int value)
        {
            value = 0;
            if (_data.Length - _position < 4)
            {
                return false;
            }

            value = BinaryPrimitives.ReadInt32BigEndian(_data[_position..]);
            _position += 4;
            return true;
        }

        public bool NullableString(out string? value)
        {
            value = null;
            if (!Int16(out var length) || length < -1 || _data.Length - _position < Math.Max((int)length, 0))
            {
                return false;
            }

            if (length >= 0)
            {
                value = Encoding.UTF8.GetString(_data.Slice(_position, length));
                _position += length;
            }

            return true;
        }

        public bool String(out string value)
        {
            var ok = NullableString(out var s);
            value = s ?? "";
            return ok && s is not null;
        }

        public bool Bytes(out byte[]? value)
        {
            value = null;
            if (_position == _data.Length)
            {
                // Some clients omit trailing user data entirely.
                return true;
            }

            if (!Int32(out var length) || length < -1 || _data.Length - _position < Math.Max(length, 0))
            {
                return false;
            }

            if (length >= 0)
            {
                value = _data.Slice(_position, length).ToArray();
                _position += length;
            }

            return true;
        }

        public bool StringArray(out IReadOnlyList<string> values)
        {
            values = [];
            if (!Count(out var count))
            {
                return false;
            }

            var list = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                if (!String(out var s))
                {
                    return false;
                }

                list.Add(s);
            }

            values = list;
            return true;
        }

        public bool TopicPartitionsArray(out IReadOnlyList<TopicPartitions> values)
        {
            values = [];
            if (!Count(out var count))
            {
                return false;
            }

            var list = new List<TopicPartitions>(count);
            for (var i = 0; i < count; i++)
            {
                if (!String(out var topic) || !Count(out var partitionCount) || _data.Length - _position < partitionCount * 4L)
                {
                    return false;
                }

                var partitions = new int[partitionCount];
                for (var p = 0; p < partitionCount; p++)
                {
                    Int32(out partitions[p]);
                }

                list.Add(new TopicPartitions(topic, partitions));
            }

            values = list;
            return true;
        }

        /// <summary>An array length; null arrays (-1) read as empty. Bounded by the bytes left so garbage cannot allocate.</summary>
        private bool Count(out int count)
        {
            if (!Int32(out count) || count < -1 || count > _data.Length - _position)
            {
                return false;
            }

            count = Math.Max(count, 0);
            return true;
        }
    }
}
