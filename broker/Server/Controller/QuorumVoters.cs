using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Controller;

/// <summary>One voter of controller.quorum.voters: id@host:port.</summary>
public sealed record QuorumVoter(int Id, string Host, int Port);

public static class QuorumVoters
{
    /// <summary>Parses controller.quorum.voters (id@host:port,...); a malformed entry or a repeated id is a config error naming the key.</summary>
    public static IReadOnlyList<QuorumVoter> Parse(string value)
    {
        var voters = new List<QuorumVoter>();
        foreach (var item in ConfigKey.SplitList(value))
        {
            var at = item.IndexOf('@', StringComparison.Ordinal);
            var colon = item.LastIndexOf(':');
            if (at <= 0 || colon <= at + 1
                || !int.TryParse(item.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
                throw new ConfigException($"Invalid value {item} for configuration controller.quorum.voters: expected id@host:port");
            var host = item[(at + 1)..colon];
            if (host.StartsWith('[') && host.EndsWith(']'))
                host = host[1..^1];
            if (voters.Any(v => v.Id == id))
                throw new ConfigException($"Invalid value {value} for configuration controller.quorum.voters: voter {id} is listed twice");
            voters.Add(new QuorumVoter(id, host, port));
        }
        return voters;
    }

    /// <summary>A cluster id every voter derives alike from the voter list, for quorums started without cluster.id.</summary>
    public static string DerivedClusterId(string voters)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(voters.Replace(" ", "", StringComparison.Ordinal)));
        return Convert.ToBase64String(hash, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
