using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// Checks process.roles against the quorum keys before anything starts, with Kafka's rules and messages
/// (KafkaConfig.validateValues): a controller must be one of controller.quorum.voters, a broker-only node must not
/// be, and finds the quorum through the voters or controller.quorum.bootstrap.servers over a controller listener
/// that it does not bind itself. A quorum of one (no voters) is only the combined node it has always been.
/// </summary>
public static class ProcessRoles
{
    public static void Validate(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var roles = config.ProcessRoles;
        if (roles.Count == 0)
            throw new ConfigException("Invalid value for configuration process.roles: it must contain broker, controller or both");
        foreach (var role in roles)
        {
            if (role is not ("broker" or "controller"))
                throw new ConfigException($"Invalid value {string.Join(',', roles)} for configuration process.roles: Unknown process role '{role}' (only 'broker' and 'controller' are allowed roles)");
        }
        if (roles.Distinct(StringComparer.Ordinal).Count() != roles.Count)
            throw new ConfigException($"Invalid value {string.Join(',', roles)} for configuration process.roles: Duplicate role names found in `process.roles`");

        var voters = config.QuorumVoters.Length > 0 ? QuorumVoters.Parse(config.QuorumVoters) : [];
        var bootstrap = BootstrapServers(config);
        var ids = "{" + string.Join(", ", voters.Select(v => v.Id)) + "}";
        if (config.IsControllerRole)
        {
            if (voters.Count == 0 && (!config.IsBrokerRole || bootstrap.Count > 0))
                throw new ConfigException("Invalid value for configuration controller.quorum.voters: a node with the controller role needs the static voter set (controller.quorum.voters), which must include its node.id; only a combined single node runs without it");
            if (voters.Count > 0 && voters.All(v => v.Id != config.NodeId))
                throw new ConfigException($"If process.roles contains the 'controller' role, the node id {config.NodeId} must be included in the set of voters controller.quorum.voters={ids}");
            if (voters.Count > 0 && config.ControllerListener is null)
                throw new ConfigException("controller.listener.names must name one of the listeners when controller.quorum.voters is set");
            return;
        }
        // Just the broker role: an observer of the quorum.
        if (voters.Count == 0 && bootstrap.Count == 0)
            throw new ConfigException("If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of voters.");
        if (voters.Any(v => v.Id == config.NodeId))
            throw new ConfigException($"If process.roles contains just the 'broker' role, the node id {config.NodeId} must not be included in the set of voters controller.quorum.voters={ids}");
        if (string.IsNullOrWhiteSpace(config.Static("controller.listener.names")))
            throw new ConfigException("controller.listener.names must contain at least one value when running KRaft with just the broker role");
        if (config.ControllerListener is not null)
            throw new ConfigException("controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role");
        if (voters.Count == 0 && config.ConfiguredClusterId is null)
            throw new ConfigException("Invalid value for configuration cluster.id: a broker that finds the quorum through controller.quorum.bootstrap.servers needs the cluster's id (the voters derive theirs from controller.quorum.voters; set cluster.id on every node)");
    }

    /// <summary>controller.quorum.bootstrap.servers as endpoints; a malformed entry is a config error naming the key.</summary>
    public static IReadOnlyList<(string Host, int Port)> BootstrapServers(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var servers = new List<(string, int)>();
        foreach (var item in ConfigKey.SplitList(config.QuorumBootstrapServers))
        {
            var endpoint = Quorum.Transport.TcpRaftTransport.ParseEndpoint(item)
                ?? throw new ConfigException($"Invalid value {item} for configuration controller.quorum.bootstrap.servers: expected host:port");
            servers.Add((endpoint.Host, endpoint.Port));
        }
        return servers;
    }
}
