namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// One broker process shared by the tests of a class (each test uses its own topics). Topics auto-created by a
/// producer's metadata request get 6 partitions, which kcat relies on since it has no admin API.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("broker not started");

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync(overrides: new Dictionary<string, string>
        {
            ["num.partitions"] = "6",
            ["auto.create.topics.enable"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        if (_broker != null)
        {
            await _broker.DisposeAsync();
        }
    }
}
