using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// Two brokers on one log dir would each recover, truncate and delete the other's files. As in Kafka, the first
/// holds `.lock` for its lifetime and a second refuses to start before it touches anything.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class LogDirLockTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_second_broker_on_a_locked_log_dir_exits_1_and_leaves_the_data_alone()
    {
        await using var first = await BrokerProcess.StartAsync(output);
        var batch = Batches.Build(5, "locked");
        using (var conn = RawConnection.Open(first.Port))
        {
            await Batches.CreateTopicAsync(conn, "owned");
            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("owned", 0, (byte[])batch.Clone()));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        }
        Assert.True(File.Exists(Path.Combine(first.DataDir, ".lock")));
        var before = Snapshot(first.DataDir);

        // Same node id, another port: without the lock it would start and recover the first broker's logs.
        var (exitCode, log) = await BrokerProcess.StartExpectingExitAsync(output, new Dictionary<string, string> { ["log.dirs"] = first.DataDir });

        Assert.Equal(1, exitCode);
        Assert.Contains($"Failed to acquire lock on file .lock in {first.DataDir}. A Kafka instance in another process or thread is using this directory.", log, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(first.DataDir));
        Assert.True(first.IsRunning);
        using var again = RawConnection.Open(first.Port);
        var fetch = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("owned", 0, 0));
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));

        // The lock is the process's: once the first broker is gone (even killed), the directory can be used again.
        first.Kill();
        await first.RestartAsync();
        Assert.True(first.IsRunning);
    }

    // The first broker's files with the sizes of its segments and meta.properties; not its checkpoints, which it
    // writes itself every few seconds.
    private static string Snapshot(string dir) => string.Join('\n', Directory
        .EnumerateFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => !Path.GetFileName(f).Contains("checkpoint", StringComparison.Ordinal))
        .Select(f => $"{Path.GetRelativePath(dir, f)} {(f.EndsWith(".log", StringComparison.Ordinal) || f.EndsWith("meta.properties", StringComparison.Ordinal) ? new FileInfo(f).Length : 0)}")
        .Order(StringComparer.Ordinal));
}
