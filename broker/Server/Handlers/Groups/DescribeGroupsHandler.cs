using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>DescribeGroups 0–5: state, protocol and members (metadata and assignment once Stable).</summary>
public sealed class DescribeGroupsHandler(BrokerServices services) : ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    // Without ACLs every group operation is allowed: READ (3), DELETE (6), DESCRIBE (8).
    private const int GroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

    public override ApiKey ApiKey => ApiKey.DescribeGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request)
    {
        var response = new DescribeGroupsResponse();
        foreach (var groupId in request.Groups)
        {
            var d = services.Groups.Coordinator.DescribeGroup(groupId);
            response.Groups.Add(new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)d.Error,
                GroupId = groupId,
                GroupState = d.StateName,
                ProtocolType = d.ProtocolType,
                ProtocolData = d.ProtocolName,
                AuthorizedOperations = request.IncludeAuthorizedOperations ? GroupOperations : int.MinValue,
                Members = [.. d.Members.Select(m => new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = m.Metadata,
                    MemberAssignment = m.Assignment,
                })],
            });
        }
        return ValueTask.FromResult<DescribeGroupsResponse?>(response);
    }
}
