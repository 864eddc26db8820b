using System.Buffers.Binary;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Image;

/// <summary>The broker published as the image publishes it, started as the image starts it (its apphost).</summary>
public sealed class PublishedBrokerFixture : IAsyncLifetime
{
    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Broker = await BrokerProcess.StartAsync(executable: await PublishedBroker.ExecutableAsync());

    public async Task DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }
}

/// <summary>
/// What the broker image needs at run time: every native library the broker imports installed explicitly, and every
/// codec working in the self-contained, invariant-globalization build, with batches that really are compressed.
/// </summary>
public sealed class PublishedBrokerCodecTests(PublishedBrokerFixture fixture) : IClassFixture<PublishedBrokerFixture>
{
    private const int Records = 200;

    // Part of every base image (runtime-deps is glibc plus what .NET itself needs).
    private static readonly string[] BaseLibraries = ["libc"];

    [Fact]
    public void The_image_installs_the_package_of_every_native_library_the_broker_imports()
    {
        var imported = BrokerAssemblies()
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<DllImportAttribute>()?.Value)
            .OfType<string>()
            .Except(BaseLibraries)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Superset(new HashSet<string>(["liblz4.so.1", "libzstd.so.1"]), imported.ToHashSet());

        var installed = BrokerDockerfile.Load().RuntimePackages;
        foreach (var library in imported)
        {
            var package = DebianPackageOf(library);
            Assert.True(installed.Contains(package), $"broker/Dockerfile's runtime stage does not install {package} (provides {library}); it installs: {string.Join(' ', installed)}");
        }
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Every_codec_round_trips_through_the_published_broker(CompressionType codec)
    {
        var topic = "codec-" + codec.ToString().ToLowerInvariant();
        await using var cluster = await KafkaCluster.ConnectAsync(fixture.Broker.BootstrapServers);
        var admin = new KafkaAdminClient(cluster);
        (await admin.CreateTopicsAsync([new NewTopic(topic, 1, 1)])).ThrowIfAnyFailed();
        var values = Enumerable.Range(0, Records).Select(i => $"record {i}: " + string.Concat(Enumerable.Repeat("all work and no play ", 10))).ToList();

        await using (var producer = await KafkaProducer.CreateAsync(cluster, new KafkaProducerOptions { Compression = codec, Linger = TimeSpan.FromMilliseconds(50) }))
        {
            var sends = values.Select((v, i) => producer.ProduceAsync(topic, 0, Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes(v))).ToArray();
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The stored batches carry the codec: the broker received compressed batches and kept them as they were.
        var batches = StoredBatches(Path.Combine(fixture.Broker.DataDir, topic + "-0"));
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Equal(codec, b.Codec));
        Assert.Equal(Records, batches.Sum(b => b.Records));
        var stored = batches.Sum(b => b.Size);
        var raw = values.Sum(v => v.Length);
        if (codec == CompressionType.None)
        {
            Assert.True(stored > raw, $"uncompressed batches hold {stored} bytes for {raw} bytes of values");
        }
        else
        {
            Assert.True(stored < raw / 4, $"{codec} batches hold {stored} bytes for {raw} bytes of repetitive values: not compressed");
        }

        await using var consumer = new KafkaConsumer(cluster, new KafkaConsumerOptions { MaxWaitMs = 50 });
        await consumer.AssignTopicAsync(topic, OffsetSpec.Earliest);
        var consumed = new List<ConsumeResult>();
        var deadline = Stopwatch.StartNew();
        while (consumed.Count < Records && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            consumed.AddRange(await consumer.FetchAsync());
        }

        Assert.Equal(values, consumed.Select(r => Encoding.UTF8.GetString(r.Value!)));
        Assert.Equal(Enumerable.Range(0, Records).Select(i => (long)i), consumed.Select(r => r.Offset));
    }

    private sealed record StoredBatch(CompressionType Codec, int Records, int Size);

    /// <summary>The batches in a partition's segment files, from their v2 headers (Kafka's on-disk format).</summary>
    private static List<StoredBatch> StoredBatches(string partitionDir)
    {
        var batches = new List<StoredBatch>();
        foreach (var segment in Directory.GetFiles(partitionDir, "*.log").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(segment);
            for (var pos = 0; pos + 61 <= bytes.Length;)
            {
                // baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc int32, attributes int16,
                // lastOffsetDelta int32, 2 x timestamp int64, producerId int64, producerEpoch int16, baseSequence int32,
                // records count int32.
                var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos + 8));
                Assert.Equal(2, bytes[pos + 16]);
                var attributes = BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(pos + 21));
                var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos + 57));
                batches.Add(new StoredBatch((CompressionType)(attributes & 0x7), count, length + 12));
                pos += 12 + length;
            }
        }

        return batches;
    }

    private static IEnumerable<Assembly> BrokerAssemblies()
    {
        var dir = AppContext.BaseDirectory;
        return new[] { "KafkaOperator.Protocol", "KafkaOperator.Storage", "KafkaOperator.Server", "KafkaOperator.Groups", "KafkaOperator.Quorum" }
            .Select(name => Assembly.LoadFrom(Path.Combine(dir, name + ".dll")));
    }

    /// <summary>The Debian package that provides a shared library on this (Debian) machine, as in the image.</summary>
    private static string DebianPackageOf(string library)
    {
        var start = new ProcessStartInfo("dpkg", ["-S", "*/" + library]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var dpkg = Process.Start(start) ?? throw new InvalidOperationException("dpkg not found");
        var output = dpkg.StandardOutput.ReadToEnd();
        var error = dpkg.StandardError.ReadToEnd();
        dpkg.WaitForExit();
        Assert.True(dpkg.ExitCode == 0, $"no installed package provides {library} (install it, e.g. `make deps`): {error}");
        // "liblz4-1:amd64: /usr/lib/x86_64-linux-gnu/liblz4.so.1"
        var packages = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).Distinct().ToList();
        return Assert.Single(packages);
    }
}
