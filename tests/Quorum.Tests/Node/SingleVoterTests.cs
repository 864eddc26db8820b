using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Tests.Core;

namespace KafkaOperator.Quorum.Tests.Node;

/// <summary>
/// A quorum of one voter, as a single broker runs it: it must lead as soon as it starts (brokers start by the hundred
/// in tests, so no election timeout), send nothing, and keep what it committed across restarts on its files.
/// </summary>
public sealed class SingleVoterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-single-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void ASingleVoterBecomesLeaderWithOneDurableStateWriteAndNoRequest()
    {
        var h = new Harness(1, [1]);
        h.Core.Initialize(0);
        Assert.True(h.Core.IsLeader);
        Assert.Equal(1, h.Store.Writes);
        Assert.Equal(new QuorumState(1, 1, 1), h.Store.Read());
        h.Core.Poll(0);
        Assert.Equal(1, h.Core.HighWatermark);
        Assert.Empty(h.Sent);
    }

    [Fact]
    public async Task ARestartedSingleVoterOnFilesLeadsAtOnceAndReplaysWhatItCommitted()
    {
        // An election timeout far longer than the test: a node that waited for one could not accept the proposals.
        var config = new QuorumConfig(0, [0], "solo", ElectionTimeoutMs: 600_000, FetchTimeoutMs: 600_000);
        var first = new InProcessCluster.Recorder();
        await using (var node = Open(config, first, out var log))
        {
            node.Start();
            await node.ProposeAsync([1]);
            await node.ProposeAsync([2]);
            await node.DisposeAsync();
            log.Dispose();
        }

        var second = new InProcessCluster.Recorder();
        await using var again = Open(config, second, out var reopened);
        try
        {
            again.Start();
            var offset = await again.ProposeAsync([3]);
            Assert.Equal(new LeaderAndEpoch(0, 2), again.Leader);
            Assert.Equal(new QuorumState(2, 0, 0), new FileQuorumStateStore(Path.Combine(_dir, "quorum-state")).Read());
            await InProcessCluster.WaitUntil(() => second.Committed.Count == 3, "the old entries and the new one were applied");
            Assert.Equal(new byte[][] { [1], [2], [3] }, second.Committed.Select(e => e.Payload).ToArray());
            Assert.Equal(offset, second.Committed.Last().Offset);
        }
        finally
        {
            await again.DisposeAsync();
            reopened.Dispose();
        }
    }

    private QuorumNode Open(QuorumConfig config, IRaftListener listener, out FileRaftLog log)
    {
        log = FileRaftLog.Open(_dir);
        return new QuorumNode(config, log, new FileQuorumStateStore(Path.Combine(_dir, "quorum-state")), new NoPeers(), listener);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A one-voter quorum has no one to send to: any request is a bug.</summary>
    private sealed class NoPeers : IRaftTransport
    {
        public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) =>
            throw new InvalidOperationException($"a single voter sent {request.GetType().Name} to {destinationId}");
    }
}
