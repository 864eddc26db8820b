using System.Buffers.Binary;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// The metadata log's entries as Fetch carries them: RecordBatch v2, one batch per entry, base offset = the entry's
/// offset and partition leader epoch = its epoch. A state-machine entry is one record whose value is the entry.
/// The quorum's own control entries are control batches whose one record's key is Kafka's control key (version 0,
/// type): the empty epoch-start entry is LEADER_CHANGE (2), the voter set KRAFT_VOTERS (6), and the record's value
/// is the entry's body after its type byte. The values are this log's encodings, not Kafka's LeaderChangeMessage
/// and VotersRecord schemas: the stored log keeps its own format (see VotersRecord), and the mapping is exact both
/// ways, so a follower stores byte for byte what the leader has.
/// Exception policy: malformed batches (bad CRC, wrong magic, compression, offsets that are not consecutive, more
/// than one record) throw <see cref="InvalidDataException"/>.
/// </summary>
public static class MetadataBatches
{
    /// <summary>Kafka's ControlRecordType.LEADER_CHANGE.</summary>
    public const short LeaderChangeType = 2;

    public static byte[] Encode(IReadOnlyList<RaftEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
            return [];
        using var output = new PooledBufferWriter(4096);
        using var builder = new RecordBatchBuilder();
        foreach (var entry in entries)
        {
            builder.Clear();
            builder.BaseOffset = entry.Offset;
            builder.PartitionLeaderEpoch = entry.Epoch;
            var payload = entry.Payload;
            if (payload.Length == 0)
            {
                builder.IsControl = true;
                builder.Add(0, ControlKey(LeaderChangeType), []);
            }
            else if (VotersRecord.IsControl(payload))
            {
                builder.IsControl = true;
                builder.Add(0, ControlKey(payload[VotersRecord.TypeAt]), payload[(VotersRecord.TypeAt + 1)..]);
            }
            else
            {
                builder.IsControl = false;
                builder.Add(0, null, payload);
            }
            builder.WriteTo(output);
        }
        return output.ToArray();
    }

    /// <summary>The entries in <paramref name="records"/>; a partial batch at the end (a byte limit) is dropped, as Kafka's fetchers do.</summary>
    public static List<RaftEntry> Decode(ReadOnlySpan<byte> records)
    {
        var entries = new List<RaftEntry>();
        var batches = new RecordBatchEnumerator(records);
        while (batches.MoveNext())
        {
            var batch = batches.Current;
            var header = batch.Header;
            if (!batch.CrcMatches)
                throw new InvalidDataException($"metadata batch at offset {header.BaseOffset} fails its CRC");
            if (header.Compression != CompressionType.None || header.RecordCount != 1 || header.LastOffsetDelta != 0)
                throw new InvalidDataException($"metadata batch at offset {header.BaseOffset} is not one uncompressed entry ({header.RecordCount} records, {header.Compression})");
            if (entries.Count > 0 && header.BaseOffset != entries[^1].Offset + 1)
                throw new InvalidDataException($"metadata batch at offset {header.BaseOffset} does not follow offset {entries[^1].Offset}");
            var iterator = batch.GetRecords();
            if (!iterator.MoveNext())
                throw new InvalidDataException($"metadata batch at offset {header.BaseOffset} has no record");
            var record = iterator.Current;
            byte[] payload;
            if (header.IsControl)
            {
                if (record.KeyIsNull || record.Key.Length != 4 || BinaryPrimitives.ReadInt16BigEndian(record.Key) != 0)
                    throw new InvalidDataException($"control batch at offset {header.BaseOffset} has no version 0 control key");
                var type = BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]);
                if (type == LeaderChangeType)
                {
                    payload = [];
                }
                else
                {
                    if (type is <= 0 or > byte.MaxValue)
                        throw new InvalidDataException($"control batch at offset {header.BaseOffset} has control type {type}");
                    payload = new byte[VotersRecord.TypeAt + 1 + record.Value.Length];
                    VotersRecord.Magic.CopyTo(payload);
                    payload[VotersRecord.TypeAt] = (byte)type;
                    record.Value.CopyTo(payload.AsSpan(VotersRecord.TypeAt + 1));
                }
            }
            else
            {
                payload = record.Value.ToArray();
                if (VotersRecord.IsControl(payload))
                    throw new InvalidDataException($"data batch at offset {header.BaseOffset} holds a control entry");
            }
            entries.Add(new RaftEntry(header.BaseOffset, header.PartitionLeaderEpoch, payload));
        }
        return entries;
    }

    private static byte[] ControlKey(short type)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key.AsSpan(2), type);
        return key;
    }
}
