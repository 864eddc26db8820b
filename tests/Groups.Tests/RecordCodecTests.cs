using KafkaOperator.Groups.Persistence;

namespace KafkaOperator.Groups.Tests;

public class RecordCodecTests
{
    [Fact]
    public void Offset_commit_key_and_value_use_kafkas_layout()
    {
        var key = CoordinatorRecordCodec.OffsetKey("g", new TopicPartition("t", 2));
        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 2 }, key);
        var value = CoordinatorRecordCodec.OffsetValue(new OffsetAndMetadata(5, 7, "m", 9));
        Assert.Equal(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 7, 0, 1, (byte)'m', 0, 0, 0, 0, 0, 0, 0, 9 }, value);
        var decoded = Assert.IsType<OffsetRecord>(CoordinatorRecordCodec.TryDecode(key, value, false));
        Assert.Equal(new OffsetAndMetadata(5, 7, "m", 9), decoded.Value);
        Assert.Null(Assert.IsType<OffsetRecord>(CoordinatorRecordCodec.TryDecode(key, [], true)).Value);
    }

    [Fact]
    public void Offset_value_with_expire_timestamp_is_written_as_v1()
    {
        var value = CoordinatorRecordCodec.OffsetValue(new OffsetAndMetadata(5, 7, "", 9, 11));
        Assert.Equal(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 11 }, value);
        var decoded = Assert.IsType<OffsetRecord>(CoordinatorRecordCodec.TryDecode(CoordinatorRecordCodec.OffsetKey("g", new("t", 0)), value, false));
        Assert.Equal(-1, decoded.Value!.LeaderEpoch);
        Assert.Equal(11, decoded.Value.ExpireTimestamp);
    }

    [Fact]
    public void Group_metadata_round_trips_as_v3()
    {
        Assert.Equal(new byte[] { 0, 2, 0, 1, (byte)'g' }, CoordinatorRecordCodec.GroupKey("g"));
        var value = new GroupMetadataValue
        {
            ProtocolType = "consumer",
            Generation = 4,
            Protocol = "range",
            Leader = "m1",
            CurrentStateTimestamp = 123,
            Members = [new() { MemberId = "m1", GroupInstanceId = "pod-0", ClientId = "c", ClientHost = "/h", RebalanceTimeout = 1, SessionTimeout = 2, Subscription = [1], Assignment = [2] }],
        };
        var bytes = CoordinatorRecordCodec.GroupValue(value);
        Assert.Equal(new byte[] { 0, 3 }, bytes[..2]);
        var decoded = Assert.IsType<GroupRecord>(CoordinatorRecordCodec.TryDecode(CoordinatorRecordCodec.GroupKey("g"), bytes, false));
        Assert.Equal("pod-0", decoded.Value!.Members[0].GroupInstanceId);
        Assert.Equal(4, decoded.Value.Generation);
        Assert.Equal([2], decoded.Value.Members[0].Assignment);
        Assert.Null(CoordinatorRecordCodec.TryDecode([0, 9, 0, 0], [], true));
    }
}
