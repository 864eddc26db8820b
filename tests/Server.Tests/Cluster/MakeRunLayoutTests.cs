using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// `make run` (scripts/run-cluster.sh) and `make run BROKERS=1` must never give two brokers overlapping log dirs: a
/// single node on ./data once found the cluster's ./data/broker-N inside its own dir. The script runs here with a
/// stand-in for dotnet that records each broker's arguments, in a copy of the repository's layout.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // a bash script
public sealed class MakeRunLayoutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cluster_and_single_node_log_dirs_never_overlap_and_server_properties_is_the_single_nodes()
    {
        var root = Path.Combine(Path.GetTempPath(), "ko-make-run-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "scripts"));
            Directory.CreateDirectory(Path.Combine(root, "broker"));
            File.Copy(Path.Combine(RepoPaths.Root, "scripts", "run-cluster.sh"), Path.Combine(root, "scripts", "run-cluster.sh"));
            File.Copy(Path.Combine(RepoPaths.Root, "broker", "server.properties"), Path.Combine(root, "broker", "server.properties"));
            var fake = Path.Combine(root, "fake-dotnet");
            await File.WriteAllTextAsync(fake, """
                #!/usr/bin/env bash
                printf '%s\n' "$@" > "$(mktemp "$FAKE_ARGS_DIR/broker.XXXXXX")"
                echo "KafkaOperator broker ready: listening on 127.0.0.1:9092 (1 ms)"
                # Stay up until every broker has recorded its arguments: the script stops the others when one exits.
                for _ in $(seq 600); do [ "$(ls "$FAKE_ARGS_DIR" | wc -l)" -ge "$BROKERS" ] && exit 0; sleep 0.05; done
                exit 0
                """.Replace("\r", "", StringComparison.Ordinal));
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var single = await LogDirsAsync(root, fake, brokers: 1);
            var cluster = await LogDirsAsync(root, fake, brokers: 3);

            Assert.Single(single);
            Assert.Equal(3, cluster.Count);
            var fromProperties = File.ReadAllLines(Path.Combine(root, "broker", "server.properties"))
                .Single(l => l.StartsWith("log.dirs=", StringComparison.Ordinal))["log.dirs=".Length..];
            Assert.Equal(Full(root, fromProperties), single[0]);
            var all = single.Concat(cluster).ToList();
            foreach (var a in all)
            {
                foreach (var b in all.Where(b => !ReferenceEquals(a, b)))
                    Assert.False(Overlap(a, b), $"log dirs {a} and {b} overlap");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // Each broker's effective log.dirs: the last --override, else server.properties (which every broker reads).
    private async Task<List<string>> LogDirsAsync(string root, string fake, int brokers)
    {
        var argsDir = Path.Combine(root, $"args-{brokers}");
        Directory.CreateDirectory(argsDir);
        var result = await ClientScript.RunAsync("bash", [Path.Combine(root, "scripts", "run-cluster.sh")], TimeSpan.FromSeconds(30), output, root,
            new Dictionary<string, string> { ["DOTNET"] = fake, ["BROKERS"] = $"{brokers}", ["FAKE_ARGS_DIR"] = argsDir });
        // A fake broker exits once all have started, which the cluster script reports as a failure; only the
        // arguments each broker was given matter here.
        Assert.True(brokers > 1 || result.ExitCode == 0, result.Stderr);
        Assert.Equal(brokers, Directory.GetFiles(argsDir).Length);
        var dirs = new List<string>();
        foreach (var file in Directory.GetFiles(argsDir))
        {
            var args = await File.ReadAllLinesAsync(file);
            var properties = args.Single(a => a.EndsWith("server.properties", StringComparison.Ordinal));
            var logDirs = File.ReadAllLines(Path.Combine(root, properties)).Single(l => l.StartsWith("log.dirs=", StringComparison.Ordinal))["log.dirs=".Length..];
            for (var i = 0; i + 1 < args.Length; i++)
            {
                if (args[i] == "--override" && args[i + 1].StartsWith("log.dirs=", StringComparison.Ordinal))
                    logDirs = args[i + 1]["log.dirs=".Length..];
            }
            dirs.Add(Full(root, logDirs));
        }
        return dirs;
    }

    private static string Full(string root, string dir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir, root)) + "/";

    private static bool Overlap(string a, string b) =>
        a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal);
}
