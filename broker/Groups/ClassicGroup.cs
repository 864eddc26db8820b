namespace KafkaOperator.Groups;

/// <summary>
/// One classic group: membership, the current generation, and the offsets committed for it. Every field is
/// guarded by <see cref="Lock"/>; the coordinator holds it for the whole of a request or timer action.
/// </summary>
internal sealed class ClassicGroup(string groupId, int partition, long nowMs)
{
    public Lock Lock { get; } = new();

    public string GroupId { get; } = groupId;

    /// <summary>The __consumer_offsets partition that stores this group.</summary>
    public int Partition { get; } = partition;

    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When the group last changed state (Kafka's currentStateTimestamp): offsets of an empty group expire from here.</summary>
    public long CurrentStateTimestamp { get; private set; } = nowMs;

    public string? ProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public int GenerationId { get; set; }

    public string? LeaderId { get; set; }

    /// <summary>Members in join order (the first one becomes leader when the leader goes away).</summary>
    public List<GroupMember> Members { get; } = [];

    /// <summary>group.instance.id to the member id currently holding it.</summary>
    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Member ids issued with MEMBER_ID_REQUIRED that have not joined with them yet.</summary>
    public HashSet<string> PendingMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Members of the current generation that have not sent SyncGroup yet.</summary>
    public HashSet<string> PendingSync { get; } = new(StringComparer.Ordinal);

    public Dictionary<TopicPartition, OffsetAndMetadata> Offsets { get; } = [];

    /// <summary>PreparingRebalance: the join completes when everyone rejoined, but not before this (initial delay).</summary>
    public long InitialDelayUntil { get; set; }

    /// <summary>PreparingRebalance: the join completes at this time with whoever rejoined (rebalance timeout).</summary>
    public long RebalanceDeadline { get; set; }

    /// <summary>PreparingRebalance after Empty: the join waits for <see cref="InitialDelayUntil"/> (group.initial.rebalance.delay.ms).</summary>
    public bool InitialDelayActive { get; set; }

    /// <summary>A member joined during the initial delay, so it extends (by at most <see cref="InitialDelayRemainingMs"/>).</summary>
    public bool NewMemberAdded { get; set; }

    public long InitialDelayRemainingMs { get; set; }

    public bool IsEmpty => Members.Count == 0;

    public void TransitionTo(GroupState state, long nowMs)
    {
        State = state;
        CurrentStateTimestamp = nowMs;
    }

    public GroupMember? Get(string memberId)
    {
        foreach (var m in Members)
        {
            if (m.MemberId == memberId)
                return m;
        }
        return null;
    }

    public bool Has(string memberId) => Get(memberId) is not null;

    public string? StaticMemberId(string? instanceId) =>
        instanceId is not null && StaticMembers.TryGetValue(instanceId, out var id) ? id : null;

    public void Add(GroupMember member)
    {
        Members.Add(member);
        if (member.GroupInstanceId is { } instance)
            StaticMembers[instance] = member.MemberId;
        LeaderId ??= member.MemberId;
        ProtocolType ??= member.ProtocolType;
    }

    public void Remove(GroupMember member)
    {
        Members.Remove(member);
        PendingSync.Remove(member.MemberId);
        if (member.GroupInstanceId is { } instance && StaticMembers.TryGetValue(instance, out var id) && id == member.MemberId)
            StaticMembers.Remove(instance);
        if (LeaderId == member.MemberId)
            LeaderId = Members.Count > 0 ? Members[0].MemberId : null;
    }

    public int AwaitingJoinCount => Members.Count(m => m.AwaitingJoin is not null);

    public bool AllMembersJoined => Members.Count == AwaitingJoinCount && PendingMembers.Count == 0;

    public int MaxRebalanceTimeoutMs => Members.Count == 0 ? 0 : Members.Max(m => m.RebalanceTimeoutMs);

    /// <summary>Whether a member offering these protocols may join (INCONSISTENT_GROUP_PROTOCOL otherwise).</summary>
    public bool SupportsProtocols(string protocolType, IReadOnlyList<GroupProtocol> protocols)
    {
        if (string.IsNullOrEmpty(protocolType) || protocols.Count == 0)
            return false;
        if (Members.Count == 0)
            return ProtocolType is null || State == GroupState.Empty || ProtocolType == protocolType;
        if (ProtocolType != protocolType)
            return false;
        foreach (var p in protocols)
        {
            if (Members.All(m => m.Supports(p.Name)))
                return true;
        }
        return false;
    }

    /// <summary>Kafka's vote: among protocols every member supports, each member votes for its first preference.</summary>
    public string SelectProtocol()
    {
        var candidates = Members[0].Protocols.Select(p => p.Name).Where(n => Members.All(m => m.Supports(n))).ToList();
        if (candidates.Count == 0)
            throw new InvalidOperationException($"group {GroupId} has no protocol every member supports");
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in Members)
        {
            var choice = m.Protocols.First(p => candidates.Contains(p.Name)).Name;
            votes[choice] = votes.GetValueOrDefault(choice) + 1;
        }
        var best = candidates[0];
        foreach (var c in candidates)
        {
            if (votes.GetValueOrDefault(c) > votes.GetValueOrDefault(best))
                best = c;
        }
        return best;
    }

    /// <summary>Topics the members subscribe to under the selected consumer protocol; null when not a consumer group.</summary>
    public HashSet<string>? SubscribedTopics()
    {
        if (ProtocolType != "consumer" || ProtocolName is null)
            return null;
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in Members)
        {
            if (m.MetadataFor(ProtocolName) is not { } metadata)
                continue;
            if (ConsumerProtocol.TryReadSubscriptionTopics(metadata) is not { } subscribed)
                return null;
            topics.UnionWith(subscribed);
        }
        return topics;
    }
}
