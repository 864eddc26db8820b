using System.Globalization;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Tests.Protocol;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// A single node's log dir from before single nodes ran as a quorum of one: partition logs, meta.properties and the
/// metadata in one JSON file (cluster-metadata.json), no metadata log. Starting on it imports the file once.
/// </summary>
public sealed class LegacyMetadataImportTests : IDisposable
{
    private readonly string _dir = TestBroker.NewDir();

    private string FilePath => Path.Combine(_dir, LegacyMetadataImport.FileName);

    [Fact]
    public async Task An_old_single_node_dir_is_imported_once_with_its_topic_ids_configs_records_and_producer_ids()
    {
        var batch = Batches.Build(5, "old");
        Guid id;
        await using (var old = await TestBroker.StartAsync(_dir, ownsDir: false, new Dictionary<string, string> { ["num.partitions"] = "2" }))
        {
            using var conn = old.Connect();
            await Batches.CreateTopicAsync(conn, "legacy", partitions: 2);
            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("legacy", 1, (byte[])batch.Clone()));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
            id = old.Host.Metadata.Image.Topic("legacy")!.TopicId;
        }
        MakeOldFormat(LegacyFile(("legacy", id, 2)));
        // A partition of a topic deleted before the upgrade: the imported metadata is complete, so it is an orphan.
        CopyPartition("legacy-1", "gone-0");

        await using var broker = await TestBroker.StartAsync(_dir, ownsDir: false);

        var image = broker.Host.Metadata.Image;
        var topic = image.Topic("legacy")!;
        Assert.Equal(id, topic.TopicId);
        Assert.Equal(2, topic.Partitions.Length);
        Assert.All(topic.Partitions, p => Assert.Equal(0, p.Leader));
        Assert.Equal("86400000", topic.Configs["retention.ms"]);
        Assert.Equal("7200000", image.BrokerConfigs["broker:log.retention.ms"]);
        Assert.True(image.NextProducerId >= 5000, $"next producer id {image.NextProducerId}");
        Assert.True(broker.Host.Metadata.IsComplete);
        Assert.False(File.Exists(FilePath));
        Assert.True(File.Exists(FilePath + LegacyMetadataImport.ImportedSuffix));
        Assert.False(Directory.Exists(Path.Combine(_dir, "gone-0")));
        using (var conn = broker.Connect())
        {
            var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("legacy", 1, 0));
            Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));
            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("legacy", 0, Batches.Build(2, "new")));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
            var producer = await conn.RequestAsync<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, 4, new InitProducerIdRequest { TransactionTimeoutMs = 60_000, ProducerId = -1, ProducerEpoch = -1 });
            Assert.Equal(0, producer.ErrorCode);
            Assert.True(producer.ProducerId >= 5000, $"producer id {producer.ProducerId} was handed out before the upgrade");
        }

        await broker.RestartAsync();

        Assert.Equal(id, broker.Host.Metadata.Image.Topic("legacy")!.TopicId);
        Assert.True(File.Exists(FilePath + LegacyMetadataImport.ImportedSuffix));
        using var again = broker.Connect();
        var refetch = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("legacy", 1, 0));
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(refetch));
    }

    [Fact]
    public async Task A_file_whose_topics_the_log_already_has_is_only_renamed_and_a_clashing_id_stops_the_broker()
    {
        Guid id;
        await using (var broker = await TestBroker.StartAsync(_dir, ownsDir: false))
        {
            using var conn = broker.Connect();
            await Batches.CreateTopicAsync(conn, "twice");
            id = broker.Host.Metadata.Image.Topic("twice")!.TopicId;
        }

        // A crash after the import committed but before the file was renamed: nothing is imported twice.
        File.WriteAllText(FilePath, LegacyFile(("twice", id, 1)));
        await using (var broker = await TestBroker.StartAsync(_dir, ownsDir: false))
        {
            Assert.Equal(id, broker.Host.Metadata.Image.Topic("twice")!.TopicId);
            Assert.Single(broker.Host.Metadata.Image.TopicsById);
            Assert.False(File.Exists(FilePath));
        }

        // The same name under another id: the logs on disk cannot belong to both, so the broker refuses to guess.
        var other = Guid.NewGuid();
        File.WriteAllText(FilePath, LegacyFile(("twice", other, 1)));
        var error = await Assert.ThrowsAsync<ConfigException>(() => TestBroker.StartAsync(_dir, ownsDir: false));
        Assert.Contains($"Cannot import the single-node metadata file {FilePath}: topic 'twice' is in the metadata log with id {id}, in the file with id {other}", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(FilePath));
    }

    [Fact]
    public async Task An_unreadable_file_stops_the_broker_with_what_to_do()
    {
        File.WriteAllText(FilePath, "{\"version\": 1, \"topics\": [");
        var error = await Assert.ThrowsAsync<ConfigException>(() => TestBroker.StartAsync(_dir, ownsDir: false));
        Assert.StartsWith($"Cannot import the single-node metadata file {FilePath}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("move it away to start with no topics", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Takes the dir back to what the old broker kept: no metadata log, the JSON file instead.</summary>
    private void MakeOldFormat(string json)
    {
        Directory.Delete(Path.Combine(_dir, QuorumHost.MetadataDirName), recursive: true);
        File.WriteAllText(FilePath, json);
    }

    private void CopyPartition(string from, string to)
    {
        Directory.CreateDirectory(Path.Combine(_dir, to));
        foreach (var file in Directory.GetFiles(Path.Combine(_dir, from)))
            File.Copy(file, Path.Combine(_dir, to, Path.GetFileName(file)));
    }

    // As FileMetadataStore wrote it: indented camelCase JSON, version 1, every partition led by the node in epoch 0.
    private static string LegacyFile(params (string Name, Guid Id, int Partitions)[] topics)
    {
        var items = topics.Select(t =>
        {
            var parts = Enumerable.Range(0, t.Partitions).Select(p => string.Create(CultureInfo.InvariantCulture, $$"""
                        {
                          "partition": {{p}},
                          "leader": 0,
                          "leaderEpoch": 0,
                          "replicas": [
                            0
                          ],
                          "isr": [
                            0
                          ]
                        }
                """));
            return $$"""
                    {
                      "name": "{{t.Name}}",
                      "topicId": "{{t.Id}}",
                      "partitions": [
                {{string.Join(",\n", parts)}}
                      ],
                      "configs": {
                        "retention.ms": "86400000"
                      }
                    }
                """;
        });
        return $$"""
            {
              "version": 1,
              "topics": [
            {{string.Join(",\n", items)}}
              ],
              "brokerConfigs": {
                "broker:log.retention.ms": "7200000"
              },
              "nextProducerId": 5000
            }
            """;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}
