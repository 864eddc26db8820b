using System.Text.RegularExpressions;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Image;

/// <summary>
/// broker/Dockerfile read as data, so the tests publish and check the broker exactly as the image builds it: the build
/// stage's COPY lines and `dotnet publish` command, and the runtime stage's installed packages.
/// </summary>
public sealed partial class BrokerDockerfile
{
    private BrokerDockerfile(IReadOnlyList<string> copies, IReadOnlyList<string> publishArgs, string publishOutput, IReadOnlyList<string> runtimePackages)
    {
        Copies = copies;
        PublishArgs = publishArgs;
        PublishOutput = publishOutput;
        RuntimePackages = runtimePackages;
    }

    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "broker", "Dockerfile");

    /// <summary>What the build stage copies into its context (repository paths; a trailing '/' is a directory).</summary>
    public IReadOnlyList<string> Copies { get; }

    /// <summary>The arguments after `dotnet` of the build stage's publish, without its `-o DIR`.</summary>
    public IReadOnlyList<string> PublishArgs { get; }

    /// <summary>The directory the build stage publishes to (the runtime stage copies it to /app).</summary>
    public string PublishOutput { get; }

    /// <summary>Packages the runtime stage installs with apt-get.</summary>
    public IReadOnlyList<string> RuntimePackages { get; }

    public static BrokerDockerfile Load()
    {
        // Dockerfile instructions continue over lines ending in a backslash.
        var text = File.ReadAllText(Path).Replace("\\\n", " ", StringComparison.Ordinal);
        var stages = new List<List<string>>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.StartsWith("FROM ", StringComparison.Ordinal))
            {
                stages.Add([]);
            }

            stages[^1].Add(line);
        }

        Assert.True(stages.Count == 2, "broker/Dockerfile: expected a build stage and a runtime stage");
        var build = stages[0];
        var copies = build.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal))
            .SelectMany(l => Words(l)[1..^1])
            .ToList();
        var publish = Words(Assert.Single(build, l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal)))[2..];
        var o = publish.IndexOf("-o");
        Assert.True(o >= 0 && o + 1 < publish.Count, "broker/Dockerfile: the publish has no -o DIR");
        var output = publish[o + 1];
        publish.RemoveRange(o, 2);
        var packages = stages[1].Where(l => l.StartsWith("RUN ", StringComparison.Ordinal))
            .SelectMany(l => AptInstall().Matches(l))
            .SelectMany(m => Words(m.Groups["packages"].Value))
            .Where(w => !w.StartsWith('-'))
            .ToList();
        return new BrokerDockerfile(copies, publish, output, packages);
    }

    private static List<string> Words(string s) => [.. s.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    [GeneratedRegex(@"apt-get install (?<packages>[^&;|]*)")]
    private static partial Regex AptInstall();
}
