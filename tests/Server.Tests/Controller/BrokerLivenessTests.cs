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

    /// <summary>A fetch that carried the broker epoch of <paramref name="id"/>'s registration in <see cref="Broker"/>.</summary>
    private static VoterState Fetched(int id, long atMs) => new(id, 10, atMs, 10 + id, atMs);

    [Fact]
    public void A_broker_silent_for_longer_than_the_session_is_fenced_with_its_epoch()
    {
        var records = _liveness.Decide(Image(Broker(0), Broker(1), Broker(2)),
            [Fetched(0, 10_000), Fetched(1, 9_900), Fetched(2, 6_500)], leaderForMs: 60_000);

        var fence = Assert.IsType<FenceBrokerRecord>(Assert.Single(records));
        Assert.Equal(new FenceBrokerRecord(2, 12), fence);
    }

    [Fact]
    public void A_new_leader_gives_a_broker_it_has_not_heard_from_a_full_session()
    {
        var image = Image(Broker(0), Broker(1));
        Assert.Empty(_liveness.Decide(image, [Fetched(0, 100), new VoterState(1, 0, -1)], leaderForMs: 2_000));
        Assert.Empty(_liveness.Decide(image, [Fetched(0, 3_000), new VoterState(1, 0, -1)], leaderForMs: 4_900));
        Assert.IsType<FenceBrokerRecord>(Assert.Single(_liveness.Decide(image, [Fetched(0, 3_200), new VoterState(1, 0, -1)], leaderForMs: 5_100)));
    }

    [Fact]
    public void A_fenced_broker_that_fetches_again_is_unfenced_and_the_leader_never_fences_itself()
    {
        var records = _liveness.Decide(Image(Broker(0, fenced: false), Broker(1, fenced: true)),
            [Fetched(0, 50_000), Fetched(1, 49_800)], leaderForMs: 60_000);

        Assert.Equal(new UnfenceBrokerRecord(1, 11), Assert.Single(records));
    }

    [Fact]
    public void A_restarted_process_that_has_not_registered_again_neither_unfences_nor_keeps_alive_the_old_registration()
    {
        // Broker 1's old process last fetched at 45,000 with its epoch 11; the restarted one fetches (catching up,
        // loading its logs) with no epoch yet.
        var restarting = new VoterState(1, 10, 49_900, 11, 45_000);
        Assert.Empty(_liveness.Decide(Image(Broker(0), Broker(1, fenced: true)), [Fetched(0, 50_000), restarting], leaderForMs: 60_000));
        Assert.Equal(new FenceBrokerRecord(1, 11), Assert.Single(_liveness.Decide(Image(Broker(0), Broker(1)), [Fetched(0, 50_000), restarting], leaderForMs: 60_000)));

        // Registered again (epoch 20, fenced as every restarted broker): unfenced once its fetches carry 20.
        var registered = Image(Broker(0), Broker(1, fenced: true) with { Epoch = 20 });
        Assert.Empty(_liveness.Decide(registered, [Fetched(0, 50_100), restarting], leaderForMs: 60_100));
        Assert.Equal(new UnfenceBrokerRecord(1, 20), Assert.Single(_liveness.Decide(registered, [Fetched(0, 50_200), new VoterState(1, 10, 50_150, 20, 50_150)], leaderForMs: 60_200)));
    }

    [Fact]
    public void A_new_registration_gets_a_session_before_its_fetches_carry_its_epoch_and_a_newer_epoch_than_the_image_waits()
    {
        // A first registration (unfenced) whose process has not yet learnt its epoch.
        var image = Image(Broker(0), Broker(1));
        Assert.Empty(_liveness.Decide(image, [Fetched(0, 50_000), new VoterState(1, 10, 49_900)], leaderForMs: 60_000));
        Assert.Empty(_liveness.Decide(image, [Fetched(0, 52_000), new VoterState(1, 10, 51_900)], leaderForMs: 62_000));
        Assert.Equal(new FenceBrokerRecord(1, 11), Assert.Single(_liveness.Decide(image, [Fetched(0, 53_100), new VoterState(1, 10, 53_000)], leaderForMs: 63_100)));

        // Fetches already carry an epoch this image does not show (it lags the registration): nothing is decided.
        var lagging = Image(Broker(0), Broker(1, fenced: true));
        Assert.Empty(_liveness.Decide(lagging, [Fetched(0, 50_000), new VoterState(1, 10, 1_000, 30, 1_000)], leaderForMs: 60_000));
    }

    [Fact]
    public void The_leader_registered_again_after_a_restart_unfences_itself_unless_it_is_shutting_down()
    {
        // A quorum of one: the node that decides is the only broker, restarted (registered fenced).
        var restarted = Image(Broker(0, fenced: true));
        Assert.Equal(new UnfenceBrokerRecord(0, 10), Assert.Single(_liveness.Decide(restarted, [Fetched(0, 50_000)], leaderForMs: 5)));

        // Still catching up, not registered again: its old registration stays fenced.
        Assert.Empty(_liveness.Decide(restarted, [new VoterState(0, 10, 50_000)], leaderForMs: 5));

        var stopping = Image(Broker(0, fenced: true) with { ShuttingDown = true });
        Assert.Empty(_liveness.Decide(stopping, [Fetched(0, 50_000)], leaderForMs: 5));
    }

    [Fact]
    public void A_broker_only_node_is_judged_by_its_observer_fetches_and_fenced_when_the_leader_never_saw_one()
    {
        // Broker 3 is an observer: it is in the list only while it fetches. Broker 4 never fetched in this term.
        var image = Image(Broker(0), Broker(3, fenced: true), Broker(4));
        Assert.Equal(new UnfenceBrokerRecord(3, 13), Assert.Single(_liveness.Decide(image, [Fetched(0, 46_000), Fetched(3, 45_900)], leaderForMs: 56_000)));
        var records = _liveness.Decide(image, [Fetched(0, 50_000), Fetched(3, 49_900)], leaderForMs: 60_000);

        Assert.Equal([new UnfenceBrokerRecord(3, 13), new FenceBrokerRecord(4, 14)], records.OrderBy(r => r is FenceBrokerRecord));
    }

    [Fact]
    public void Nothing_is_decided_off_the_leader()
    {
        Assert.Empty(_liveness.Decide(Image(Broker(0), Broker(1)), [], leaderForMs: 60_000));
    }
}
