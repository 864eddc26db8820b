using System.Buffers;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Control;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Snapshots;

/// <summary>
/// A snapshot's bytes as Kafka's RecordsSnapshotWriter writes a <c>.checkpoint</c> file: RecordBatch v2 from offset
/// 0, every batch's partition leader epoch the snapshot's epoch; first a control batch holding SNAPSHOT_HEADER
/// (SnapshotHeaderRecord) and, when the snapshot carries a voter set (kraft.version 1), KRAFT_VERSION and KRAFT_VOTERS;
/// then data batches; last a control batch holding SNAPSHOT_FOOTER. The data records' values are the state machine's
/// snapshot cut in chunks of <see cref="ChunkBytes"/> (the quorum treats the state as opaque bytes; Kafka's records
/// there are metadata records), read back by concatenating them. Timestamps are 0: the log keeps no append times.
/// These are also the bytes FetchSnapshot serves, by position. Batch CRCs are the checksum; a file without its
/// footer was cut short.
/// Exception policy: anything that is not such a snapshot throws <see cref="InvalidDataException"/>.
/// </summary>
public static class SnapshotRecords
{
    /// <summary>The largest data record's value.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>Data records per batch (batches of up to 1 MiB).</summary>
    public const int ChunksPerBatch = 16;

    public static byte[] Encode(SnapshotId id, VotersRecord? voters, ReadOnlySpan<byte> state)
    {
        using var output = new PooledBufferWriter(state.Length + 512);
        using var builder = new RecordBatchBuilder();
        var offset = 0L;
        void Flush(bool control)
        {
            builder.BaseOffset = offset;
            builder.PartitionLeaderEpoch = id.Epoch;
            builder.IsControl = control;
            offset += builder.Count;
            builder.WriteTo(output);
            builder.Clear();
        }

        builder.Add(0, ControlRecordType.Key(ControlRecordType.SnapshotHeader), ControlMessages.EncodeSnapshotHeader(0));
        if (voters is not null)
        {
            builder.Add(0, ControlRecordType.Key(ControlRecordType.KRaftVersion), ControlMessages.EncodeKRaftVersion(voters.KRaftVersion));
            builder.Add(0, ControlRecordType.Key(ControlRecordType.KRaftVoters), voters.EncodeValue());
        }
        Flush(control: true);
        for (var at = 0; at < state.Length; at += ChunkBytes)
        {
            var chunk = state.Slice(at, Math.Min(ChunkBytes, state.Length - at));
            builder.Add(0, [], true, chunk, false);
            if (builder.Count == ChunksPerBatch)
                Flush(control: false);
        }
        if (builder.Count > 0)
            Flush(control: false);
        builder.Add(0, ControlRecordType.Key(ControlRecordType.SnapshotFooter), ControlMessages.EncodeSnapshotFooter());
        Flush(control: true);
        return output.ToArray();
    }

    /// <summary>The voter set (null when none) and the state machine's bytes of a snapshot; <paramref name="name"/> names it in errors.</summary>
    public static (VotersRecord? Voters, byte[] State) Decode(ReadOnlySpan<byte> data, string name)
    {
        VotersRecord? voters = null;
        using var state = new PooledBufferWriter(Math.Max(256, data.Length));
        var batches = new RecordBatchEnumerator(data);
        var next = 0L;
        var header = false;
        var footer = false;
        try
        {
            while (batches.MoveNext())
            {
                var batch = batches.Current;
                if (footer)
                    throw Corrupt(name, $"a batch at offset {batch.Header.BaseOffset} follows the footer");
                if (!batch.CrcMatches)
                    throw Corrupt(name, $"the batch at offset {batch.Header.BaseOffset} fails its checksum");
                if (batch.Header.BaseOffset != next || batch.Header.Compression != CompressionType.None)
                    throw Corrupt(name, $"the batch at offset {batch.Header.BaseOffset} is not the uncompressed batch expected at offset {next}");
                var records = batch.GetRecords();
                while (records.MoveNext())
                {
                    var record = records.Current;
                    if (!batch.Header.IsControl)
                    {
                        if (!header)
                            throw Corrupt(name, "it does not start with a snapshot header");
                        state.Write(record.Value);
                        continue;
                    }
                    var type = ControlRecordType.Parse(record.Key, record.KeyIsNull);
                    var value = record.Value.ToArray();
                    if (!header && type != ControlRecordType.SnapshotHeader)
                        throw Corrupt(name, "it does not start with a snapshot header");
                    switch (type)
                    {
                        case ControlRecordType.SnapshotHeader when !header:
                            ControlMessages.DecodeSnapshotHeader(value);
                            header = true;
                            break;
                        case ControlRecordType.KRaftVersion:
                            ControlMessages.DecodeKRaftVersion(value);
                            break;
                        case ControlRecordType.KRaftVoters:
                            voters = VotersRecord.DecodeValue(value);
                            break;
                        case ControlRecordType.SnapshotFooter:
                            ControlMessages.DecodeSnapshotFooter(value);
                            footer = true;
                            break;
                        default:
                            throw Corrupt(name, $"it holds a control record of type {type?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(no key)"} at offset {record.Offset}");
                    }
                }
                next = batch.Header.BaseOffset + batch.Header.LastOffsetDelta + 1;
            }
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(Prefix(name), StringComparison.Ordinal))
        {
            throw Corrupt(name, ex.Message, ex);
        }
        if (!footer)
            throw Corrupt(name, batches.RemainingBytes > 0 ? $"it ends in a partial batch of {batches.RemainingBytes} bytes" : "it has no footer (cut short)");
        if (batches.RemainingBytes > 0)
            throw Corrupt(name, $"{batches.RemainingBytes} bytes follow the footer");
        return (voters, state.WrittenSpan.ToArray());
    }

    /// <summary>Whether <paramref name="data"/> has the shape of one (its first batch parses), without reading it all.</summary>
    public static bool LooksLikeRecords(ReadOnlySpan<byte> data) =>
        data.Length >= RecordBatchHeader.Size && RecordBatchHeader.Read(data).Magic == RecordBatchHeader.CurrentMagic;

    private static string Prefix(string name) => $"metadata snapshot {name} is corrupt";

    private static InvalidDataException Corrupt(string name, string why, Exception? inner = null) => new($"{Prefix(name)}: {why}", inner);
}
