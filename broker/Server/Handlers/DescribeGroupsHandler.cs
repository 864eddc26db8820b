using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>DescribeGroups 0–5: state, protocol and members with their metadata and assignments.</summary>
public sealed class DescribeGroupsHandler(BrokerServices services) : ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request)
    {
        var response = new DescribeGroupsResponse();
        foreach (var id in request.Groups)
        {
            var described = new DescribeGroupsResponse.DescribedGroup { GroupId = id, GroupState = "Dead" };
            response.Groups.Add(described);
            if (services.Groups.Describe(id) is not { } g)
                continue;
            described.GroupState = g.State switch
            {
                Groups.GroupState.PreparingRebalance => "PreparingRebalance",
                Groups.GroupState.CompletingRebalance => "CompletingRebalance",
                Groups.GroupState.Stable => "Stable",
                _ => "Empty",
            };
            described.ProtocolType = g.ProtocolType ?? "";
            described.ProtocolData = g.Protocol ?? "";
            foreach (var (member, metadata) in g.Members)
            {
                described.Members.Add(new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = member.MemberId,
                    GroupInstanceId = context.Version >= 4 ? member.InstanceId : null,
                    ClientId = member.ClientId,
                    ClientHost = member.ClientHost,
                    MemberMetadata = metadata,
                    MemberAssignment = member.Assignment,
                });
            }
        }
        return new(response);
    }
}
