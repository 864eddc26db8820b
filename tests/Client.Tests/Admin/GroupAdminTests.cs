using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Tests.Admin;

public class GroupAdminTests
{
    /// <summary>Group "g" lives on broker 2 with committed offsets; "busy" has a member; ListGroups answers per broker.</summary>
    private static FakeKafka GroupCluster(List<string> log)
    {
        var fake = new FakeKafka(brokers: 2);
        var committed = new Dictionary<(string, int), long> { [("t", 0)] = 5, [("t", 1)] = 7 };
        fake.Handler = (broker, request) =>
        {
            lock (log)
            {
                log.Add($"{broker}:{request.GetType().Name}");
            }

            return request switch
            {
                FindCoordinatorRequest f => new FindCoordinatorResponse
                {
                    Coordinators = f.CoordinatorKeys.Select(k => new FindCoordinatorResponse.Coordinator
                    {
                        Key = k,
                        NodeId = 2,
                        Host = "b2",
                        Port = 9092,
                    }).ToList(),
                },
                ListGroupsRequest => new ListGroupsResponse
                {
                    Groups = [new() { GroupId = $"group-on-{broker}", ProtocolType = "consumer", GroupState = "Empty" }],
                },
                DescribeGroupsRequest d => new DescribeGroupsResponse
                {
                    Groups = d.Groups.Select(g => g == "busy"
                        ? new DescribeGroupsResponse.DescribedGroup
                        {
                            GroupId = g,
                            GroupState = "Stable",
                            ProtocolType = "consumer",
                            ProtocolData = "range",
                            Members = [new() { MemberId = "m1", ClientId = "c1", ClientHost = "/10.0.0.1" }],
                        }
                        : new DescribeGroupsResponse.DescribedGroup { GroupId = g, GroupState = "Empty", ProtocolType = "consumer" }).ToList(),
                },
                OffsetFetchRequest o => new OffsetFetchResponse
                {
                    Groups =
                    [
                        new()
                        {
                            GroupId = o.Groups[0].GroupId,
                            Topics = [new() { Name = "t", Partitions = committed.Select(kv => new OffsetFetchResponse.OffsetFetchResponsePartitions
                            {
                                PartitionIndex = kv.Key.Item2,
                                CommittedOffset = kv.Value,
                            }).ToList() }],
                        },
                    ],
                },
                OffsetCommitRequest c => new OffsetCommitResponse
                {
                    Topics = c.Topics.Select(t => new OffsetCommitResponse.OffsetCommitResponseTopic
                    {
                        Name = t.Name,
                        Partitions = t.Partitions.Select(p =>
                        {
                            var rejected = c.GroupId == "busy";
                            if (!rejected)
                            {
                                committed[(t.Name, p.PartitionIndex)] = p.CommittedOffset;
                            }

                            return new OffsetCommitResponse.OffsetCommitResponsePartition
                            {
                                PartitionIndex = p.PartitionIndex,
                                ErrorCode = rejected ? (short)ErrorCode.UnknownMemberId : (short)0,
                            };
                        }).ToList(),
                    }).ToList(),
                },
                DeleteGroupsRequest d => new DeleteGroupsResponse
                {
                    Results = d.GroupsNames.Select(g => new DeleteGroupsResponse.DeletableGroupResult
                    {
                        GroupId = g,
                        ErrorCode = g == "busy" ? (short)ErrorCode.NonEmptyGroup : (short)0,
                    }).ToList(),
                },
                _ => null,
            };
        };
        return fake;
    }

    [Fact]
    public async Task Group_operations_go_to_the_coordinator_and_report_per_group()
    {
        var log = new List<string>();
        await using var fake = GroupCluster(log);
        await using var admin = new KafkaAdminClient(await KafkaCluster.ConnectAsync(fake.ClientOptions()), ownsCluster: true);

        var coordinator = await admin.FindCoordinatorAsync("g");
        var listed = await admin.ListGroupsAsync();
        var described = await admin.DescribeGroupsAsync(["g", "busy"]);
        var offsets = await admin.ListGroupOffsetsAsync("g");
        var reset = await admin.AlterGroupOffsetsAsync("g", new Dictionary<TopicPartition, long> { [new("t", 0)] = 0 });
        var refused = await admin.AlterGroupOffsetsAsync("busy", new Dictionary<TopicPartition, long> { [new("t", 0)] = 0 });
        var afterReset = await admin.ListGroupOffsetsAsync("g", [new("t", 0)]);
        var deleted = await admin.DeleteGroupsAsync(["g", "busy"]);

        Assert.Equal(2, coordinator.NodeId);
        Assert.Equal(["group-on-1", "group-on-2"], listed.Select(g => g.GroupId));
        Assert.Equal("Empty", described[0].State);
        Assert.Equal("Stable", described[1].State);
        Assert.Equal("c1", described[1].Members.Single().ClientId);
        Assert.Equal([5L, 7L], offsets.Select(o => o.Offset));
        Assert.True(reset[0].Succeeded);
        Assert.Equal(ErrorCode.UnknownMemberId, refused[0].Error?.Code);
        Assert.Equal(0, afterReset.First(o => o.Partition.Partition == 0).Offset);
        Assert.True(deleted[0].Succeeded);
        Assert.Equal(ErrorCode.NonEmptyGroup, deleted[1].Error?.Code);
        Assert.All(log.Where(l => !l.EndsWith("FindCoordinatorRequest", StringComparison.Ordinal) && !l.EndsWith("ListGroupsRequest", StringComparison.Ordinal)
            && !l.EndsWith("MetadataRequest", StringComparison.Ordinal)), l => Assert.StartsWith("2:", l, StringComparison.Ordinal));
    }
}
