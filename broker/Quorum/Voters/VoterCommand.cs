using KafkaOperator.Quorum.Control;

namespace KafkaOperator.Quorum.Voters;

public enum VoterCommandKind : byte
{
    Add = 0xF1,
    Remove = 0xF2,
    Update = 0xF3,
}

/// <summary>
/// A voter change asked of the leader (AddRaftVoter, RemoveRaftVoter, UpdateRaftVoter). A node that does not lead
/// forwards it as a proposal whose payload is this command (a control payload, so never a record);
/// the leader decides it and answers once the new voter set is committed. Never appended to the log as such.
/// </summary>
public sealed record VoterCommand(VoterCommandKind Kind, Voter Voter)
{
    public byte[] Encode()
    {
        var body = new VotersRecord(0, [Voter]).Encode();
        body[ControlEntry.TypeAt] = (byte)Kind;
        return body;
    }

    /// <summary>The command <paramref name="payload"/> holds, or null when it is none.</summary>
    public static VoterCommand? TryDecode(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (ControlEntry.Header(payload) is not (_, var type) || !Enum.IsDefined((VoterCommandKind)type))
            return null;
        var kind = (VoterCommandKind)type;
        var copy = (byte[])payload.Clone();
        copy[ControlEntry.TypeAt] = VotersRecord.ControlType;
        try
        {
            return VotersRecord.TryDecode(copy) is { Voters: [var voter] } ? new VoterCommand(kind, voter) : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}

/// <summary>A voter change's outcome as its caller sees it: Kafka's error code and a message (null with none).</summary>
public sealed record VoterChangeResult(short ErrorCode, string? Message);
