using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Tests.Unit;
using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>A group with a live member (joined and synced over the wire, as a consumer would) seen through kafkactl.</summary>
[Collection(BrokerCollection.Name)]
public class ActiveGroupTests(BrokerFixture broker)
{
    [Fact]
    public async Task ActiveGroupShowsMembersAssignmentsAndRefusesResetAndDelete()
    {
        var topic = $"t-{Guid.NewGuid():N}";
        var group = $"g-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "--partitions", "2")).ExitCode);
        await broker.ProduceAsync(topic, 0, 3);

        await using var cluster = await KafkaCluster.ConnectAsync(broker.ClientOptions());
        var coordinator = await FindCoordinatorAsync(cluster, group);
        var (memberId, generation) = await JoinAndSyncAsync(coordinator, group, topic);
        var commit = await coordinator.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(new OffsetCommitRequest
        {
            GroupId = group,
            GenerationIdOrMemberEpoch = generation,
            MemberId = memberId,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }] }],
        });
        Assert.Equal(0, commit.Topics[0].Partitions[0].ErrorCode);

        var describe = await broker.RunAsync("groups", "describe", group, "-o", "json");
        Assert.True(describe.ExitCode == 0, describe.ToString());
        var detail = JsonDocument.Parse(describe.Out).RootElement;
        Assert.Equal("Stable", detail.GetProperty("state").GetString());
        Assert.Equal("consumer", detail.GetProperty("protocolType").GetString());
        Assert.Equal("range", detail.GetProperty("protocol").GetString());
        var member = Assert.Single(detail.GetProperty("members").EnumerateArray());
        Assert.Equal(memberId, member.GetProperty("memberId").GetString());
        Assert.Equal("admin-tests", member.GetProperty("clientId").GetString());
        var assigned = Assert.Single(member.GetProperty("assignment").EnumerateArray());
        Assert.Equal([0, 1], assigned.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
        var partitions = detail.GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal(1, partitions[0].GetProperty("committedOffset").GetInt64());
        Assert.Equal(2, partitions[0].GetProperty("lag").GetInt64());
        Assert.Equal(JsonValueKind.Null, partitions[1].GetProperty("committedOffset").ValueKind);
        Assert.Equal(JsonValueKind.Null, partitions[1].GetProperty("lag").ValueKind);
        Assert.Equal(memberId, partitions[1].GetProperty("memberId").GetString());
        // One partition's lag is unknown, so the total is too; the known part is given separately.
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("totalLag").ValueKind);
        Assert.Equal(2, detail.GetProperty("knownLag").GetInt64());
        Assert.Equal(1, detail.GetProperty("lagUnknownPartitions").GetInt32());

        var table = await broker.RunAsync("groups", "describe", group);
        Assert.Matches($@"(?m)^{topic}\s+1\s+-\s+0\s+-\s+{memberId}", table.Out);
        Assert.Contains($"{topic}:0,1", table.Out, StringComparison.Ordinal);

        var refused = await broker.RunAsync("groups", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute");
        Cli.AssertCleanFailure(refused, "Stop its consumers");
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        var dry = await broker.RunAsync("groups", "reset-offsets", group, "--topic", topic, "--to-earliest");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("--execute requires it to have no members", dry.Out, StringComparison.Ordinal);
        Cli.AssertCleanFailure(await broker.RunAsync("groups", "delete", group), "still has members");

        var leave = await coordinator.SendAsync<LeaveGroupRequest, LeaveGroupResponse>(new LeaveGroupRequest
        {
            GroupId = group,
            Members = [new() { MemberId = memberId }],
        });
        Assert.Equal(0, leave.ErrorCode);
        var reset = await broker.RunAsync("groups", "reset-offsets", group, "--topic", topic, "--to-latest", "--execute", "-o", "json");
        Assert.True(reset.ExitCode == 0, reset.ToString());
        Assert.True(JsonDocument.Parse(reset.Out).RootElement.GetProperty("executed").GetBoolean());
    }

    private static async Task<KafkaConnection> FindCoordinatorAsync(KafkaCluster cluster, string group)
    {
        await using var admin = new Client.Admin.KafkaAdminClient(cluster);
        var node = await admin.FindCoordinatorAsync(group);
        return await cluster.GetConnectionAsync(node.NodeId);
    }

    private static async Task<(string MemberId, int Generation)> JoinAndSyncAsync(KafkaConnection connection, string group, string topic)
    {
        var subscription = new ConsumerProtocolTests.Bytes().Int16(0).Int32(1).String(topic).Int32(-1).ToArray();
        var memberId = "";
        JoinGroupResponse join;
        for (var attempt = 0; ; attempt++)
        {
            join = await connection.SendAsync<JoinGroupRequest, JoinGroupResponse>(new JoinGroupRequest
            {
                GroupId = group,
                SessionTimeoutMs = 30_000,
                RebalanceTimeoutMs = 30_000,
                MemberId = memberId,
                ProtocolType = "consumer",
                Protocols = [new() { Name = "range", Metadata = subscription }],
            });
            if ((ErrorCode)join.ErrorCode == ErrorCode.MemberIdRequired && attempt == 0)
            {
                memberId = join.MemberId;
                continue;
            }

            KafkaException.ThrowIfError(join.ErrorCode, "JoinGroup");
            break;
        }

        var assignment = new ConsumerProtocolTests.Bytes().Int16(0).Int32(1).String(topic).Int32(2).Int32(0).Int32(1).Int32(-1).ToArray();
        var sync = await connection.SendAsync<SyncGroupRequest, SyncGroupResponse>(new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = join.GenerationId,
            MemberId = join.MemberId,
            ProtocolType = "consumer",
            ProtocolName = "range",
            Assignments = [new() { MemberId = join.MemberId, Assignment = assignment }],
        });
        KafkaException.ThrowIfError(sync.ErrorCode, "SyncGroup");
        return (join.MemberId, join.GenerationId);
    }
}
