using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Control;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Tests.Snapshots;

/// <summary>Snapshots as Kafka's RecordsSnapshotWriter writes them: header control batch first, data, footer control batch last.</summary>
public sealed class SnapshotRecordsTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void The_header_batch_bytes_derived_by_hand()
    {
        var bytes = SnapshotRecords.Encode(new SnapshotId(100, 7), null, []);
        // base offset 0 | batch length 71 (49 after the length field's end + 22 of records) | partition leader epoch 7 |
        // magic 2 | crc | attributes 0x0020 (control) | last offset delta 0 | base and max timestamp 0 |
        // producer id -1 | producer epoch -1 | base sequence -1 | 1 record
        var header = Hex("0000000000000000 00000047 00000007 02");
        var afterCrc = Hex("0020 00000000 0000000000000000 0000000000000000 FFFFFFFFFFFFFFFF FFFF FFFFFFFF 00000001"
            // record: length 21 (zigzag 0x2A) | attributes 0 | timestamp delta 0 | offset delta 0 |
            // key length 4 (0x08) key [0][3] | value length 11 (0x16) SnapshotHeaderRecord v0, timestamp 0, tags | 0 headers
            + " 2A 00 00 00 08 00000003 16 0000 0000000000000000 00 00");
        Assert.Equal(header, bytes[..17]);
        Assert.Equal(afterCrc, bytes[21..83]);
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, bytes.AsSpan(21, 62)), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(17)));
        // Then the footer batch at offset 1: the control key [0][4] and SnapshotFooterRecord v0.
        Assert.Equal(Hex("0000000000000001"), bytes[83..91]);
        Assert.Equal(Hex("08 00000004 06 0000 00 00"), bytes[^10..]);
        Assert.Equal(83 + 75, bytes.Length);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(SnapshotRecords.ChunkBytes, true)]
    [InlineData(SnapshotRecords.ChunkBytes * SnapshotRecords.ChunksPerBatch + 1, true)]
    [InlineData(3_000_000, false)]
    public void Snapshots_round_trip_with_the_layout_Kafka_reads(int size, bool withVoters)
    {
        var id = new SnapshotId(5000, 9);
        var voters = withVoters ? new VotersRecord(1, [new Voter(1, Guid.NewGuid(), "h1:9093"), new Voter(2, Guid.Empty, "h2:9093")]) : null;
        byte[] state = [.. Enumerable.Range(0, size).Select(i => (byte)(i * 31))];
        var bytes = SnapshotRecords.Encode(id, voters, state);

        var types = new List<short?>();
        var offsets = new List<long>();
        var batches = new RecordBatchEnumerator(bytes);
        var batchCount = 0;
        while (batches.MoveNext())
        {
            batchCount++;
            Assert.True(batches.Current.CrcMatches);
            Assert.Equal(id.Epoch, batches.Current.Header.PartitionLeaderEpoch);
            var records = batches.Current.GetRecords();
            while (records.MoveNext())
            {
                offsets.Add(records.Current.Offset);
                types.Add(batches.Current.Header.IsControl ? ControlRecordType.Parse(records.Current.Key, records.Current.KeyIsNull) : null);
            }
        }
        Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
        short?[] head = withVoters ? [ControlRecordType.SnapshotHeader, ControlRecordType.KRaftVersion, ControlRecordType.KRaftVoters] : [ControlRecordType.SnapshotHeader];
        Assert.Equal(head, types.Take(head.Length));
        Assert.Equal(ControlRecordType.SnapshotFooter, types[^1]);
        Assert.All(types.Skip(head.Length).SkipLast(1), t => Assert.Null(t));
        Assert.Equal((size + SnapshotRecords.ChunkBytes - 1) / SnapshotRecords.ChunkBytes, types.Count - head.Length - 1);
        Assert.Equal(2 + (types.Count - head.Length - 1 + SnapshotRecords.ChunksPerBatch - 1) / SnapshotRecords.ChunksPerBatch, batchCount);

        var (readVoters, readState) = SnapshotRecords.Decode(bytes, "s");
        Assert.Equal(voters?.Voters, readVoters?.Voters);
        Assert.Equal(state, readState);
    }

    [Fact]
    public void Anything_but_a_whole_snapshot_is_refused_naming_it()
    {
        var bytes = SnapshotRecords.Encode(new SnapshotId(10, 1), new VotersRecord(1, [new Voter(1, Guid.Empty, "h:1")]), new byte[1000]);
        for (var cut = 0; cut < bytes.Length; cut += 7)
            Assert.StartsWith("metadata snapshot s is corrupt", Assert.Throws<InvalidDataException>(() => SnapshotRecords.Decode(bytes.AsSpan(0, cut), "s")).Message, StringComparison.Ordinal);
        Assert.Contains("follow the footer", Assert.Throws<InvalidDataException>(() => SnapshotRecords.Decode([.. bytes, 1, 2, 3], "s")).Message, StringComparison.Ordinal);
        Assert.Contains("follows the footer", Assert.Throws<InvalidDataException>(() => SnapshotRecords.Decode([.. bytes, .. bytes], "s")).Message, StringComparison.Ordinal);
        var flipped = (byte[])bytes.Clone();
        flipped[500] ^= 1;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => SnapshotRecords.Decode(flipped, "s")).Message, StringComparison.Ordinal);
    }
}
