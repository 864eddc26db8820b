namespace KafkaOperator.Groups.Tests;

public class PartitionerTests
{
    // Expected values computed from Java's String.hashCode definition (s[0]*31^(n-1) + ... + s[n-1], int overflow).
    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 97)]
    [InlineData("group", 98629247)]
    [InlineData("my-group", -1906497762)]
    [InlineData("test-consumer-group", -1793216381)]
    [InlineData("polygenelubricants", int.MinValue)]
    public void Java_string_hash_code(string groupId, int expected) => Assert.Equal(expected, OffsetsPartitioner.JavaHashCode(groupId));

    // abs(hash) % 50, with Kafka's Utils.abs(Integer.MIN_VALUE) == 0.
    [Theory]
    [InlineData("a", 47)]
    [InlineData("group", 47)]
    [InlineData("my-group", 12)]
    [InlineData("test-consumer-group", 31)]
    [InlineData("console-consumer-12345", 6)]
    [InlineData("orders-app", 5)]
    [InlineData("polygenelubricants", 0)]
    [InlineData("zzzzzzzzzz", 36)]
    public void Offsets_partition_for_group(string groupId, int expected) => Assert.Equal(expected, OffsetsPartitioner.PartitionFor(groupId, 50));
}
