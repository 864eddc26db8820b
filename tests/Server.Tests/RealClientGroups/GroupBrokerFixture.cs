using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>
/// The broker the group tests share: no initial rebalance delay (members of a new group are assigned as soon as
/// they all joined), and 6 partitions for topics that clients auto-create. Each test uses its own topic and group.
/// </summary>
public sealed class GroupBrokerFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> Overrides = new Dictionary<string, string>
    {
        ["group.initial.rebalance.delay.ms"] = "0",
        ["num.partitions"] = "6",
        ["auto.create.topics.enable"] = "true",
    };

    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("broker not started");

    public async Task InitializeAsync() => _broker = await BrokerProcess.StartAsync(overrides: Overrides);

    public async Task DisposeAsync()
    {
        if (_broker != null)
        {
            await _broker.DisposeAsync();
        }
    }
}
