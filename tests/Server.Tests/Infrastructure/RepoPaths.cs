namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>Locates the repository, the built broker and the real client tools the tests drive.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string ClientsDir => Path.Combine(Root, "tests", "clients");

    public static string NodeDir => Path.Combine(ClientsDir, "node");

    public static string PythonDir => Path.Combine(ClientsDir, "python");

    /// <summary>Debian's python3-kafka and python3-confluent-kafka import only under the system interpreter.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>
    /// The broker dll copied into the test output (the test project references KafkaOperator.Server), so the
    /// broker under test is always the one built with the same configuration as the tests.
    /// </summary>
    public static string BrokerDll
    {
        get
        {
            var local = Path.Combine(AppContext.BaseDirectory, "KafkaOperator.Server.dll");
            if (File.Exists(local))
            {
                return local;
            }

#if DEBUG
            const string config = "Debug";
#else
            const string config = "Release";
#endif
            var built = Path.Combine(Root, "broker", "Server", "bin", config, "net10.0", "KafkaOperator.Server.dll");
            return File.Exists(built)
                ? built
                : throw new FileNotFoundException($"KafkaOperator.Server.dll not found next to the tests nor at {built}");
        }
    }

    /// <summary>Finds an executable on PATH; throws (so the test fails, not skips) with the install hint.</summary>
    public static string RequireTool(params string[] names)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var name in names)
        {
            foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException(
            $"{string.Join(" or ", names)} is not installed: run `make deps` (scripts/install-deps.sh)");
    }

    public static string RequirePython() => File.Exists(Python)
        ? Python
        : throw new InvalidOperationException($"{Python} is missing: run `make deps` (scripts/install-deps.sh)");

    public static void RequireNodeModule(string module)
    {
        var dir = Path.Combine(NodeDir, "node_modules", module);
        if (!Directory.Exists(dir))
        {
            throw new InvalidOperationException(
                $"node module {module} is missing under {NodeDir}/node_modules: run `make deps` (scripts/install-deps.sh)");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KafkaOperator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no KafkaOperator.sln above {AppContext.BaseDirectory}");
    }
}
