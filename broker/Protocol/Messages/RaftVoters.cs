using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

// KIP-853's voter changes: AddRaftVoter (80), RemoveRaftVoter (81) and UpdateRaftVoter (82), each decided by the
// metadata quorum's leader.

/// <summary>AddRaftVoter 0–1: makes a caught-up observer a voter. v1 adds AckWhenCommitted.</summary>
[ApiMessage(ApiKey.AddRaftVoter, MessageKind.Request, 0, 1, FlexibleFrom = 0)]
public sealed class AddRaftVoterRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1)]
    public int TimeoutMs { get; set; }

    [Field(2)]
    public int VoterId { get; set; }

    [Field(3)]
    public Guid VoterDirectoryId { get; set; }

    [Field(4)]
    public List<RaftVoterListener> Listeners { get; set; } = [];

    /// <summary>True: answer once the new voter set is committed; false: once the leader has appended it.</summary>
    [Field(5, Versions = "1+")]
    public bool AckWhenCommitted { get; set; } = true;
}

/// <summary>A voter's endpoint, as the voter-change requests carry it.</summary>
public sealed class RaftVoterListener
{
    [Field(0)]
    public string Name { get; set; } = "";

    [Field(1)]
    public string Host { get; set; } = "";

    [Field(2)]
    public ushort Port { get; set; }
}

[ApiMessage(ApiKey.AddRaftVoter, MessageKind.Response, 0, 1, FlexibleFrom = 0)]
public sealed class AddRaftVoterResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, NullableVersions = "0+")]
    public string? ErrorMessage { get; set; }
}

/// <summary>RemoveRaftVoter 0: takes a voter out of the voter set (the leader too: it resigns once that commits).</summary>
[ApiMessage(ApiKey.RemoveRaftVoter, MessageKind.Request, 0, 0, FlexibleFrom = 0)]
public sealed class RemoveRaftVoterRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1)]
    public int VoterId { get; set; }

    [Field(2)]
    public Guid VoterDirectoryId { get; set; }
}

[ApiMessage(ApiKey.RemoveRaftVoter, MessageKind.Response, 0, 0, FlexibleFrom = 0)]
public sealed class RemoveRaftVoterResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, NullableVersions = "0+")]
    public string? ErrorMessage { get; set; }
}

/// <summary>UpdateRaftVoter 0: a voter tells the leader its current endpoints and supported kraft.version range.</summary>
[ApiMessage(ApiKey.UpdateRaftVoter, MessageKind.Request, 0, 0, FlexibleFrom = 0)]
public sealed class UpdateRaftVoterRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1)]
    public int CurrentLeaderEpoch { get; set; }

    [Field(2)]
    public int VoterId { get; set; }

    [Field(3)]
    public Guid VoterDirectoryId { get; set; }

    [Field(4)]
    public List<RaftVoterListener> Listeners { get; set; } = [];

    [Field(5)]
    public KRaftVersionRange KRaftVersionFeature { get; set; } = new();

    public sealed class KRaftVersionRange
    {
        [Field(0)]
        public short MinSupportedVersion { get; set; }

        [Field(1)]
        public short MaxSupportedVersion { get; set; }
    }
}

[ApiMessage(ApiKey.UpdateRaftVoter, MessageKind.Response, 0, 0, FlexibleFrom = 0)]
public sealed class UpdateRaftVoterResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, Tag = 0)]
    public CurrentLeaderData CurrentLeader { get; set; } = new();

    public sealed class CurrentLeaderData
    {
        [Field(0)]
        public int LeaderId { get; set; } = -1;

        [Field(1)]
        public int LeaderEpoch { get; set; } = -1;

        [Field(2)]
        public string Host { get; set; } = "";

        [Field(3)]
        public int Port { get; set; }
    }
}
