using System.Globalization;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Server.Controller;

// Voter changes (KIP-853) as the Kafka listener's handlers ask for them: decided by the quorum leader (forwarded there
// by any other node), answered once the new voter set is committed.
public sealed partial class QuorumHost
{
    /// <summary>The latest voter set in this node's metadata log (the config's until the first leader writes it there).</summary>
    public VotersRecord VoterSet => _node.VoterSet;

    /// <summary>The finalized kraft.version: 1 once the voter set lives in the metadata log.</summary>
    public short KRaftVersion => _node.KRaftVersion;

    /// <summary>
    /// The latest voters with their quorum addresses (the config's address for a voter the log has none for),
    /// for DescribeQuorum's nodes.
    /// </summary>
    public IReadOnlyList<QuorumVoter> CurrentVoters()
    {
        var result = new List<QuorumVoter>();
        foreach (var voter in _node.VoterSet.Voters)
        {
            var configured = Voters.FirstOrDefault(v => v.Id == voter.Id);
            if (TryParseEndpoint(voter.Endpoint, out var host, out var port))
                result.Add(new QuorumVoter(voter.Id, host, port));
            else
                result.Add(configured ?? new QuorumVoter(voter.Id, "", 0));
        }
        return result;
    }

    public Task<VoterChangeResult> ChangeVotersAsync(VoterCommand command, int timeoutMs, bool ackWhenCommitted = true) =>
        _node.ChangeVotersAsync(command, timeoutMs, ackWhenCommitted);

    /// <summary>"host:port" (IPv6 hosts in brackets) as the quorum's transport writes it.</summary>
    public static bool TryParseEndpoint(string endpoint, out string host, out int port)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        host = "";
        port = 0;
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is 0 or > 65535)
            return false;
        host = endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return host.Length > 0;
    }

    /// <summary>The endpoint a voter record holds for <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static string Endpoint(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
