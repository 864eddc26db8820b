using KafkaOperator.Protocol.Records;
using KafkaOperator.Quorum.Control;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Tests.Control;

/// <summary>The quorum's control records in Kafka's schemas (clients/src/main/resources/common/message/*.json, all v0, flexible).</summary>
public sealed class ControlRecordTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void LeaderChangeMessage_bytes_derived_by_hand()
    {
        var message = new LeaderChangeMessage(1, [1, 2, 3], [1, 2]);
        // version 0 | leader 1 | voters: compact length 3+1, each [id][empty tag buffer] | granting: 2+1 | tag buffer
        var expected = Hex("0000 00000001 04 00000001 00 00000002 00 00000003 00 03 00000001 00 00000002 00 00");
        var bytes = ControlMessages.EncodeLeaderChange(message);
        Assert.Equal(expected, bytes);
        var back = ControlMessages.DecodeLeaderChange(bytes);
        Assert.Equal(1, back.LeaderId);
        Assert.Equal([1, 2, 3], back.Voters);
        Assert.Equal([1, 2], back.GrantingVoters);
    }

    [Fact]
    public void Snapshot_header_footer_and_kraft_version_bytes_derived_by_hand()
    {
        // SnapshotHeaderRecord: version 0 | LastContainedLogTimestamp int64 | tag buffer
        Assert.Equal(Hex("0000 0000018C0A0B0C0D 00"), ControlMessages.EncodeSnapshotHeader(0x18C0A0B0C0D));
        Assert.Equal(0x18C0A0B0C0D, ControlMessages.DecodeSnapshotHeader(Hex("0000 0000018C0A0B0C0D 00")));
        // SnapshotFooterRecord: version 0 | tag buffer
        Assert.Equal(Hex("0000 00"), ControlMessages.EncodeSnapshotFooter());
        // KRaftVersionRecord: version 0 | KRaftVersion int16 | tag buffer
        Assert.Equal(Hex("0000 0001 00"), ControlMessages.EncodeKRaftVersion(1));
        Assert.Equal(1, ControlMessages.DecodeKRaftVersion(Hex("0000 0001 00")));
    }

    [Fact]
    public void VotersRecord_bytes_derived_by_hand_and_round_trips()
    {
        var directory = new Guid(Hex("00112233445566778899AABBCCDDEEFF"), bigEndian: true);
        var record = new VotersRecord(1, [new Voter(1, directory, "h:9093"), new Voter(2, Guid.Empty, "")]);
        // version 0 | voters 2+1 |
        //   id 1 | uuid | endpoints 1+1: name "CONTROLLER" (10+1), host "h" (1+1), port uint16 9093 = 0x2385, tags |
        //   KRaftVersionFeature min 0 max 1, tags | voter tags
        //   id 2 | zero uuid | endpoints 0+1 | min 0 max 1, tags | voter tags
        // | record tags
        var expected = Hex("0000 03"
            + " 00000001 00112233445566778899AABBCCDDEEFF 02 0B 434F4E54524F4C4C4552 02 68 2385 00 0000 0001 00 00"
            + " 00000002 00000000000000000000000000000000 01 0000 0001 00 00"
            + " 00");
        Assert.Equal(expected, record.EncodeValue());
        Assert.Equal(record.Voters, VotersRecord.DecodeValue(expected).Voters);

        // The log entry: the control prefix (format 1: Kafka's schema), type 6, the value.
        var entry = record.Encode();
        Assert.Equal(Hex("0000 4B52414654 01 06"), entry[..9]);
        Assert.Equal(expected, entry[9..]);
        var decoded = VotersRecord.TryDecode(entry)!;
        Assert.Equal(1, decoded.KRaftVersion);
        Assert.Equal(record.Voters, decoded.Voters);
    }

    [Fact]
    public void Ipv6_endpoints_keep_their_brackets_through_Kafkas_host_and_port()
    {
        var record = new VotersRecord(1, [new Voter(3, Guid.Empty, "[::1]:9094")]);
        Assert.Equal("[::1]:9094", VotersRecord.DecodeValue(record.EncodeValue()).Voters.Single().Endpoint);
    }

    [Fact]
    public void Malformed_values_are_refused_with_InvalidDataException()
    {
        var value = ControlMessages.EncodeLeaderChange(new LeaderChangeMessage(1, [1, 2], [1]));
        for (var cut = 0; cut < value.Length; cut++)
            Assert.Throws<InvalidDataException>(() => ControlMessages.DecodeLeaderChange(value.AsMemory(0, cut)));
        Assert.Throws<InvalidDataException>(() => ControlMessages.DecodeLeaderChange(value.Append((byte)0).ToArray()));
        var voters = new VotersRecord(1, [new Voter(1, Guid.Empty, "h:1")]).EncodeValue();
        for (var cut = 0; cut < voters.Length; cut++)
            Assert.Throws<InvalidDataException>(() => VotersRecord.DecodeValue(voters.AsMemory(0, cut)));
    }

    [Fact]
    public void Fetch_carries_control_entries_as_Kafkas_control_records_and_maps_them_back_exactly()
    {
        var leaderChange = ControlEntry.Create(ControlRecordType.LeaderChange, ControlMessages.EncodeLeaderChange(new LeaderChangeMessage(2, [1, 2, 3], [2, 3])));
        var voters = new VotersRecord(1, [new Voter(1, Guid.NewGuid(), "a:1"), new Voter(2, Guid.Empty, "b:2")]).Encode();
        var entries = new List<RaftEntry> { new(10, 4, leaderChange), new(11, 4, voters), new(12, 4, [5, 6]) };
        var bytes = MetadataBatches.Encode(entries);

        var seen = new List<(bool Control, byte[]? Key, byte[] Value)>();
        var batches = new RecordBatchEnumerator(bytes);
        while (batches.MoveNext())
        {
            var records = batches.Current.GetRecords();
            Assert.True(records.MoveNext());
            seen.Add((batches.Current.Header.IsControl, records.Current.KeyIsNull ? null : records.Current.Key.ToArray(), records.Current.Value.ToArray()));
        }
        Assert.True(seen[0].Control);
        Assert.Equal(Hex("0000 0002"), seen[0].Key);
        Assert.Equal(2, ControlMessages.DecodeLeaderChange(seen[0].Value).LeaderId);
        Assert.True(seen[1].Control);
        Assert.Equal(Hex("0000 0006"), seen[1].Key);
        Assert.Equal(VotersRecord.TryDecode(voters)!.Voters, VotersRecord.DecodeValue(seen[1].Value).Voters);
        Assert.False(seen[2].Control);
        Assert.Null(seen[2].Key);
        Assert.Equal([5, 6], seen[2].Value);

        var back = MetadataBatches.Decode(bytes);
        Assert.Equal(entries.Select(e => (e.Offset, e.Epoch)), back.Select(e => (e.Offset, e.Epoch)));
        Assert.Equal(entries.Select(e => e.Payload), back.Select(e => e.Payload));
    }

    [Fact]
    public void Entries_of_older_nodes_are_sent_as_Kafka_records_too()
    {
        var record = new VotersRecord(1, [new Voter(1, Guid.Empty, "a:1"), new Voter(2, Guid.Empty, "b:2")]);
        var legacy = record.EncodeLegacy();
        var back = MetadataBatches.Decode(MetadataBatches.Encode([new RaftEntry(0, 1, legacy), new RaftEntry(1, 2, [])]));
        // The old voters entry arrives converted (same voters); the old empty epoch-start entry stays empty.
        Assert.Equal(record.Encode(), back[0].Payload);
        Assert.Equal(record.Voters, VotersRecord.TryDecode(legacy)!.Voters);
        Assert.Empty(back[1].Payload);
    }

    [Fact]
    public void Control_records_the_log_does_not_hold_or_that_do_not_parse_are_refused()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, BaseOffset = 0, PartitionLeaderEpoch = 1 };
        builder.Add(0, ControlRecordType.Key(ControlRecordType.SnapshotHeader), ControlMessages.EncodeSnapshotHeader(0));
        Assert.Contains("control type 3", Assert.Throws<InvalidDataException>(() => MetadataBatches.Decode(builder.ToArray())).Message, StringComparison.Ordinal);
        builder.Clear();
        builder.IsControl = true;
        builder.Add(0, ControlRecordType.Key(ControlRecordType.KRaftVoters), [0, 0, 9]);
        Assert.Contains("VotersRecord", Assert.Throws<InvalidDataException>(() => MetadataBatches.Decode(builder.ToArray())).Message, StringComparison.Ordinal);
    }
}
