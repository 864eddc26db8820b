using System.Runtime.CompilerServices;

namespace KafkaOperator.Operator.Tests.Support;

public static class RepoPaths
{
    /// <summary>The repository root (the folder holding KafkaOperator.sln).</summary>
    public static string Root { get; } = FindRoot();

    public static string TestsDir([CallerFilePath] string path = "") => Path.GetDirectoryName(Path.GetDirectoryName(path))!;

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KafkaOperator.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("KafkaOperator.sln not found above " + AppContext.BaseDirectory);
    }
}
