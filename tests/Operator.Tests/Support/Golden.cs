namespace KafkaOperator.Operator.Tests.Support;

/// <summary>
/// Compares text with tests/Operator.Tests/Golden/&lt;name&gt;. Set UPDATE_GOLDEN=1 to rewrite the files after an
/// intended model change, then review the diff.
/// </summary>
public static class Golden
{
    public static void Assert(string name, string actual)
    {
        var path = Path.Combine(RepoPaths.TestsDir(), "Golden", name);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Xunit.Assert.True(File.Exists(path), $"golden file {path} is missing; run the tests with UPDATE_GOLDEN=1 to create it");
        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            var line = 0;
            while (line < e.Length && line < a.Length && e[line] == a[line])
            {
                line++;
            }
            Xunit.Assert.Fail($"{name} differs from the golden file at line {line + 1}:\n  expected: {(line < e.Length ? e[line] : "<eof>")}\n  actual:   {(line < a.Length ? a[line] : "<eof>")}\n(UPDATE_GOLDEN=1 regenerates)");
        }
    }
}
