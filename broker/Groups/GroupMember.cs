namespace KafkaOperator.Groups;

/// <summary>One member of a classic group. Guarded by its group's lock.</summary>
internal sealed class GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost)
{
    public string MemberId { get; set; } = memberId;

    public string? GroupInstanceId { get; } = groupInstanceId;

    public string ClientId { get; set; } = clientId;

    public string ClientHost { get; set; } = clientHost;

    public int SessionTimeoutMs { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public string ProtocolType { get; set; } = "";

    public IReadOnlyList<GroupProtocol> Protocols { get; set; } = [];

    public byte[] Assignment { get; set; } = [];

    /// <summary>Set while the member's JoinGroup waits for the rebalance to complete.</summary>
    public TaskCompletionSource<JoinGroupResult>? AwaitingJoin { get; set; }

    /// <summary>Set while a follower's SyncGroup waits for the leader's assignment.</summary>
    public TaskCompletionSource<SyncGroupResult>? AwaitingSync { get; set; }

    /// <summary>Joined but not yet through its first rebalance.</summary>
    public bool IsNew { get; set; } = true;

    public bool IsStatic => GroupInstanceId is not null;

    public byte[]? MetadataFor(string protocol)
    {
        foreach (var p in Protocols)
        {
            if (p.Name == protocol)
                return p.Metadata;
        }
        return null;
    }

    public bool Supports(string protocol) => MetadataFor(protocol) is not null;

    /// <summary>Same protocols in the same order with the same metadata: a rejoin that changes nothing.</summary>
    public bool Matches(IReadOnlyList<GroupProtocol> protocols)
    {
        if (protocols.Count != Protocols.Count)
            return false;
        for (var i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
                return false;
        }
        return true;
    }

    public void CompleteJoin(JoinGroupResult result)
    {
        var waiter = AwaitingJoin;
        AwaitingJoin = null;
        waiter?.TrySetResult(result);
    }

    public void CompleteSync(SyncGroupResult result)
    {
        var waiter = AwaitingSync;
        AwaitingSync = null;
        waiter?.TrySetResult(result);
    }
}
