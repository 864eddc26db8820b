using KafkaOperator.Server.Config;
using KafkaOperator.Server.Replication;

namespace KafkaOperator.Server.Tests.Replication;

public sealed class ReplicationQuotaTests
{
    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("0:1")]
    [InlineData(" 0:1 , 2:3 ")]
    public void Kafkas_throttled_replica_lists_are_accepted(string value) =>
        Assert.Null(TopicConfigDefs.Validate("leader.replication.throttled.replicas", value));

    [Theory]
    [InlineData("0")]
    [InlineData("0:x")]
    [InlineData("0:1,*")]
    [InlineData("-1:2")]
    public void Anything_else_is_refused(string value) =>
        Assert.NotNull(TopicConfigDefs.Validate("follower.replication.throttled.replicas", value));

    [Fact]
    public void An_unset_rate_never_throttles_and_a_spent_bucket_waits_for_its_refill()
    {
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0" });
        var quota = ReplicationQuota.Follower(config);
        Assert.Equal(long.MaxValue, quota.Rate);

        config.SetDynamic(perBroker: true, new Dictionary<string, string> { ["follower.replication.throttled.rate"] = "1000" });
        quota.Record(5000); // five seconds' worth
        Assert.True(quota.IsExceeded());
        Assert.InRange(quota.TimeUntilAvailable(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.Equal(5000, quota.RecordedBytes);
    }
}
