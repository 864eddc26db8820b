using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "generate-crds")
        {
            var dir = args.Length >= 2 ? args[1] : "crds";
            CrdGenerator.WriteTo(dir);
            Console.WriteLine($"wrote CRDs to {dir}");
            return 0;
        }
        await Task.CompletedTask;
        return 1;
    }
}
