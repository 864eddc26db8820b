using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class VoterSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ko-voters-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_voter_ids_are_recorded_once_and_hosts_may_move()
    {
        QuorumHost.CheckVoterSet(_dir, QuorumVoters.Parse("2@a:9093,0@b:9093,1@c:9093"));
        Assert.Equal("0,1,2", File.ReadAllText(Path.Combine(_dir, QuorumHost.VotersFileName)).Trim());

        QuorumHost.CheckVoterSet(_dir, QuorumVoters.Parse("0@new-a:19093,1@new-b:19093,2@new-c:19093"));
    }

    [Fact]
    public void A_changed_voter_set_is_refused_with_both_sets_named()
    {
        QuorumHost.CheckVoterSet(_dir, QuorumVoters.Parse("0@a:9093"));

        var ex = Assert.Throws<ConfigException>(() => QuorumHost.CheckVoterSet(_dir, QuorumVoters.Parse("0@a:9093,1@b:9093,2@c:9093")));

        Assert.Contains("voters 0, but the voters are now 0,1,2", ex.Message, StringComparison.Ordinal);
        Assert.Equal("0", File.ReadAllText(Path.Combine(_dir, QuorumHost.VotersFileName)).Trim());
    }

    [Theory]
    [InlineData("0@host")]
    [InlineData("x@host:9093")]
    [InlineData("0@host:0")]
    [InlineData("0@a:9093,0@b:9093")]
    public void Malformed_voters_are_a_config_error(string voters)
    {
        var ex = Assert.Throws<ConfigException>(() => QuorumVoters.Parse(voters));
        Assert.Contains("controller.quorum.voters", ex.Message, StringComparison.Ordinal);
    }
}
