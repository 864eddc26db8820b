using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Image;

/// <summary>
/// The broker published as broker/Dockerfile publishes it: the files its build stage copies (minus bin/ and obj/, as
/// .dockerignore has it) in a context of their own, then its `dotnet publish` command (self-contained, invariant
/// globalization...). Published once per test run and kept under the test output directory, keyed by a hash of
/// the sources and the command, so an unchanged tree is not published again.
/// </summary>
public static class PublishedBroker
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>The published apphost, the image's ENTRYPOINT.</summary>
    public static Task<string> ExecutableAsync() => Published.Value;

    private static async Task<string> PublishAsync()
    {
        var dockerfile = BrokerDockerfile.Load();
        var files = dockerfile.Copies.SelectMany(Expand).Order(StringComparer.Ordinal).ToList();
        var key = Hash(dockerfile, files);
        var root = Path.Combine(AppContext.BaseDirectory, "published-broker", key);
        var app = Path.Combine(root, "app");
        var executable = Path.Combine(app, "KafkaOperator.Server");
        var done = Path.Combine(root, "published");
        if (File.Exists(done) && File.Exists(executable))
        {
            return executable;
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        var context = Path.Combine(root, "src");
        foreach (var file in files)
        {
            var target = Path.Combine(context, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepoPaths.Root, file), target);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = context,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in dockerfile.PublishArgs)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(app);
        // The test host's MSBuild settings belong to the test build, not to this one; no build server outlives it.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet publish");
        ChildProcesses.Track(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish of the broker took more than 10 minutes");
        }
        finally
        {
            ChildProcesses.Forget(process);
        }

        if (process.ExitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"dotnet {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        await File.WriteAllTextAsync(done, string.Join(' ', start.ArgumentList));
        return executable;
    }

    /// <summary>Repository-relative files of one COPY source: a file, or a directory's files outside bin/ and obj/.</summary>
    private static IEnumerable<string> Expand(string source)
    {
        var full = Path.Combine(RepoPaths.Root, source);
        if (File.Exists(full))
        {
            return [source];
        }

        Assert.True(Directory.Exists(full), $"broker/Dockerfile copies {source}, which does not exist");
        return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));
    }

    private static string Hash(BrokerDockerfile dockerfile, IEnumerable<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(string.Join('\n', dockerfile.PublishArgs) + "\n"));
        foreach (var file in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            sha.AppendData(File.ReadAllBytes(Path.Combine(RepoPaths.Root, file)));
        }

        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
