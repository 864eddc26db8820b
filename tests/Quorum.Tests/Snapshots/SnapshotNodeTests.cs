using System.Text;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Tests.Node;

namespace KafkaOperator.Quorum.Tests.Snapshots;

/// <summary>
/// A one-voter quorum on files with snapshots: it writes them as it commits, deletes the log below them, restarts
/// from the latest, and falls back to an older one when the latest is corrupt.
/// </summary>
public sealed class SnapshotNodeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-snapnode-" + Guid.NewGuid().ToString("N"));
    private readonly QuorumConfig _config = new(0, [0], "solo", ElectionTimeoutMs: 600_000, FetchTimeoutMs: 600_000);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ANodeRestartsFromItsLatestSnapshotAfterItsLogWasTruncatedBelowIt()
    {
        var first = new Machine();
        var messages = new List<string>();
        await using (var node = Open(first, messages, out var log))
        {
            node.Start();
            for (var i = 0; i < 40; i++)
                await node.ProposeAsync(Encoding.ASCII.GetBytes($"v{i:D2}"));
            await InProcessCluster.WaitUntil(() => log.StartOffset > 0 && node.LatestSnapshot is { EndOffset: > 20 }, "snapshots written and the log truncated");
            await node.DisposeAsync();
            log.Dispose();
        }
        var snapshots = FileSnapshotStore.Open(_dir).List();
        Assert.Equal(2, snapshots.Count);
        Assert.DoesNotContain(FileRaftLog.FileName, Directory.GetFiles(_dir).Select(Path.GetFileName));

        // Restarted: the state is the latest snapshot's plus the log after it, never a replay from offset 0.
        var second = new Machine();
        await using (var again = Open(second, messages, out var reopened))
        {
            again.Start();
            await again.ProposeAsync("v40"u8.ToArray());
            await InProcessCluster.WaitUntil(() => second.Values.Count == 41, "the state rebuilt and the new value applied");
            Assert.Equal(Enumerable.Range(0, 41).Select(i => $"v{i:D2}"), second.Values);
            Assert.Equal(snapshots[^1], second.LoadedFrom);
            Assert.True(second.Replayed.Count < 41, $"replayed {second.Replayed.Count} entries");
            await again.DisposeAsync();
            reopened.Dispose();
        }

        // The latest snapshot corrupt: refused with a message, the older one and the log after it used instead.
        var latest = FileSnapshotStore.Open(_dir).List()[^1];
        var path = Path.Combine(_dir, latest.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var third = new Machine();
        await using (var last = Open(third, messages, out var log3))
        {
            last.Start();
            await last.ProposeAsync("v41"u8.ToArray());
            await InProcessCluster.WaitUntil(() => third.Values.Count == 42, "the state rebuilt from the older snapshot");
            Assert.Equal(Enumerable.Range(0, 42).Select(i => $"v{i:D2}"), third.Values);
            Assert.True(third.LoadedFrom < latest, $"loaded {third.LoadedFrom}");
            await last.DisposeAsync();
            log3.Dispose();
        }
        Assert.Contains(messages, m => m.Contains("is corrupt", StringComparison.Ordinal) && m.Contains(latest.FileName, StringComparison.Ordinal));
        Assert.True(File.Exists(path[..^".checkpoint".Length] + ".checkpoint.corrupt"));
    }

    private QuorumNode Open(Machine machine, List<string> messages, out FileRaftLog log)
    {
        log = FileRaftLog.Open(_dir, segmentBytes: 64);
        var node = new QuorumNode(_config, log, new FileQuorumStateStore(Path.Combine(_dir, "quorum-state")), new NoPeers(), machine);
        node.AttachSnapshots(FileSnapshotStore.Open(_dir), new SnapshotPolicy(MaxBytesBetweenSnapshots: 20, MaxIntervalMs: 0), m =>
        {
            lock (messages)
                messages.Add(m);
        });
        return node;
    }

    /// <summary>A state machine of the values committed in order; its snapshot is them, one per line.</summary>
    private sealed class Machine : IRaftSnapshotListener
    {
        private readonly Lock _lock = new();
        private List<string> _values = [];

        public List<string> Values
        {
            get
            {
                lock (_lock)
                    return [.. _values];
            }
        }

        public List<long> Replayed { get; } = [];

        public SnapshotId? LoadedFrom { get; private set; }

        public void OnCommitted(IReadOnlyList<RaftEntry> entries)
        {
            lock (_lock)
            {
                foreach (var entry in entries)
                {
                    _values.Add(Encoding.ASCII.GetString(entry.Payload));
                    Replayed.Add(entry.Offset);
                }
            }
        }

        public void OnLeaderChange(LeaderAndEpoch leader)
        {
        }

        public void OnSnapshotLoaded(SnapshotId id, byte[] data)
        {
            lock (_lock)
            {
                LoadedFrom = id;
                _values = [.. Encoding.ASCII.GetString(data).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
            }
        }

        public Func<byte[]> CaptureSnapshot()
        {
            var copy = Values;
            return () => Encoding.ASCII.GetBytes(string.Join('\n', copy));
        }
    }

    private sealed class NoPeers : IRaftTransport
    {
        public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) =>
            throw new InvalidOperationException($"a single voter sent {request.GetType().Name} to {destinationId}");
    }
}
