using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Control;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// The metadata log's entries as Fetch carries them: RecordBatch v2, one batch per entry, base offset = the entry's
/// offset and partition leader epoch = its epoch. A state-machine entry is one record whose value is the entry.
/// The quorum's own entries are control batches of one control record with Kafka's key (version 0, type) and value
/// (Kafka's schema): the epoch-start LEADER_CHANGE (2, LeaderChangeMessage) and the voter set KRAFT_VOTERS (6,
/// VotersRecord); the stored entry holds that value after its control prefix (<see cref="ControlEntry"/>), so the
/// mapping is exact both ways and a follower stores byte for byte what the leader has. Two kinds of entries written
/// by nodes before Kafka's schemas are sent as well: the empty epoch-start entry as a LEADER_CHANGE record with an
/// empty value (read back as the empty entry), and an old-format voters entry converted to Kafka's VotersRecord
/// (a follower stores the converted entry; the voter set is the same).
/// Exception policy: malformed batches (bad CRC, wrong magic, compression, offsets that are not consecutive, more
/// than one record, a control record that is not one of the quorum's or whose value does not parse) throw
/// <see cref="InvalidDataException"/>.
/// </summary>
public static class MetadataBatches
{
    /// <summary>Kafka's ControlRecordType.LEADER_CHANGE.</summary>
    public const short LeaderChangeType = ControlRecordType.LeaderChange;

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
            builder.IsControl = ControlEntry.IsControl(payload);
            switch (ControlEntry.Header(payload))
            {
                case null when payload.Length == 0:
                    builder.Add(0, ControlRecordType.Key(LeaderChangeType), []);
                    break;
                case null:
                    builder.Add(0, null, payload);
                    break;
                case (ControlEntry.LegacyFormat, VotersRecord.ControlType):
                    builder.Add(0, ControlRecordType.Key(ControlRecordType.KRaftVoters), VotersRecord.TryDecode(payload)!.EncodeValue());
                    break;
                case (ControlEntry.KafkaFormat, var type):
                    builder.Add(0, ControlRecordType.Key(type), ControlEntry.Value(payload).ToArray());
                    break;
                case var (format, type):
                    throw new InvalidDataException($"entry {entry.Offset} is a control entry of format {format}, type {type}, which has no Kafka control record");
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
                var type = ControlRecordType.Parse(record.Key, record.KeyIsNull)
                    ?? throw new InvalidDataException($"control batch at offset {header.BaseOffset} has no version 0 control key");
                payload = type switch
                {
                    LeaderChangeType when record.Value.Length == 0 => [],
                    LeaderChangeType or ControlRecordType.KRaftVoters or ControlRecordType.KRaftVersion => ControlEntry.Create(type, record.Value),
                    _ => throw new InvalidDataException($"control batch at offset {header.BaseOffset} has control type {type}, which the metadata log does not hold"),
                };
                Validate(header.BaseOffset, type, payload);
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

    /// <summary>A control value that does not parse is refused here rather than stored, where reading it back would stop the node.</summary>
    private static void Validate(long offset, short type, byte[] payload)
    {
        if (payload.Length == 0)
            return;
        try
        {
            _ = type switch
            {
                ControlRecordType.LeaderChange => (object)ControlMessages.DecodeLeaderChange(ControlEntry.Value(payload)),
                ControlRecordType.KRaftVoters => VotersRecord.DecodeValue(ControlEntry.Value(payload)),
                _ => ControlMessages.DecodeKRaftVersion(ControlEntry.Value(payload)),
            };
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"control batch at offset {offset}: {ex.Message}", ex);
        }
    }
}
