using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Log;

public sealed class FileQuorumStateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quorum-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RoundTripsAndReplaces()
    {
        var path = Path.Combine(_dir, "quorum-state");
        var store = new FileQuorumStateStore(path);
        Assert.Null(store.Read());
        store.Write(new QuorumState(3, 2, -1));
        store.Write(new QuorumState(4, 1, 1));
        Assert.Equal(new QuorumState(4, 1, 1), new FileQuorumStateStore(path).Read());
        Assert.Contains("\"leaderEpoch\":4", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void AnUnreadableFileIsAnErrorNotAFreshStart()
    {
        var path = Path.Combine(_dir, "quorum-state");
        File.WriteAllText(path, "{\"leaderEpoch\":");
        Assert.Throws<InvalidDataException>(() => new FileQuorumStateStore(path).Read());
    }
}
