using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class BrokerLivenessTests
{
    private static readonly Dictionary<string, string> NoConfigs = [];

    private static MetadataImage Image(params BrokerInfo[] brokers) =>
        new(new Dictionary<string, TopicMetadata>(), new Dictionary<Guid, TopicMetadata>(), NoConfigs, 0, brokers.ToDictionary(b => b.Id), 0);

    private static BrokerInfo Broker(int id, bool fenced = false) => new(id, 10 + id, [], null, fenced);

    private readonly BrokerLiveness _liveness = new(nodeId: 0, sessionTimeoutMs: 3000, heartbeatIntervalMs: 500);

    [Fact]
    public void A_broker_silent_for_longer_than_the_session_is_fenced_with_its_epoch()
    {
        var records = _liveness.Decide(Image(Broker(0), Broker(1), Broker(2)),
            [new VoterState(0, 10, 10_000), new VoterState(1, 10, 9_900), new VoterState(2, 5, 6_500)], leaderForMs: 60_000);

        var fence = Assert.IsType<FenceBrokerRecord>(Assert.Single(records));
        Assert.Equal(new FenceBrokerRecord(2, 12), fence);
    }

    [Fact]
    public void A_new_leader_gives_a_broker_it_has_not_heard_from_a_full_session()
    {
        var image = Image(Broker(0), Broker(1));
        Assert.Empty(_liveness.Decide(image, [new VoterState(0, 10, 100), new VoterState(1, 0, -1)], leaderForMs: 2_000));
        Assert.IsType<FenceBrokerRecord>(Assert.Single(_liveness.Decide(image, [new VoterState(0, 10, 100), new VoterState(1, 0, -1)], leaderForMs: 3_500)));
    }

    [Fact]
    public void A_fenced_broker_that_fetches_again_is_unfenced_and_the_leader_never_fences_itself()
    {
        var records = _liveness.Decide(Image(Broker(0, fenced: false), Broker(1, fenced: true)),
            [new VoterState(0, 10, 50_000), new VoterState(1, 10, 49_800)], leaderForMs: 60_000);

        Assert.Equal(new UnfenceBrokerRecord(1, 11), Assert.Single(records));
    }

    [Fact]
    public void The_leader_registered_again_after_a_restart_unfences_itself_unless_it_is_shutting_down()
    {
        // A quorum of one: the node that decides is the only broker, restarted (registered fenced).
        var restarted = Image(Broker(0, fenced: true));
        Assert.Equal(new UnfenceBrokerRecord(0, 10), Assert.Single(_liveness.Decide(restarted, [new VoterState(0, 10, 50_000)], leaderForMs: 5)));

        var stopping = Image(Broker(0, fenced: true) with { ShuttingDown = true });
        Assert.Empty(_liveness.Decide(stopping, [new VoterState(0, 10, 50_000)], leaderForMs: 5));
    }

    [Fact]
    public void A_broker_only_node_is_judged_by_its_observer_fetches_and_fenced_when_the_leader_never_saw_one()
    {
        // Broker 3 is an observer: it is in the list only while it fetches. Broker 4 never fetched in this term.
        var image = Image(Broker(0), Broker(3, fenced: true), Broker(4));
        var records = _liveness.Decide(image, [new VoterState(0, 10, 50_000), new VoterState(3, 10, 49_900)], leaderForMs: 60_000);

        Assert.Equal([new UnfenceBrokerRecord(3, 13), new FenceBrokerRecord(4, 14)], records.OrderBy(r => r is FenceBrokerRecord));
    }

    [Fact]
    public void Nothing_is_decided_off_the_leader()
    {
        Assert.Empty(_liveness.Decide(Image(Broker(0), Broker(1)), [], leaderForMs: 60_000));
    }
}
