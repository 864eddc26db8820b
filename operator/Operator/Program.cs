using k8s;
using k8s.Exceptions;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Hosting;
using KafkaOperator.Operator.Reconcilers;

namespace KafkaOperator.Operator;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.Length == 0 ? "run" : args[0];
        switch (command)
        {
            case "generate-crds":
                var dir = args.Length >= 2 ? args[1] : "crds";
                CrdGenerator.WriteTo(dir);
                Console.WriteLine($"wrote CRDs to {dir}");
                return 0;
            case "run":
                return await RunAsync(args.Skip(1).ToList()).ConfigureAwait(false);
            case "help" or "--help" or "-h":
                Console.WriteLine(OperatorSettings.Usage);
                return 0;
            default:
                Console.Error.WriteLine($"unknown command '{command}'");
                Console.Error.WriteLine(OperatorSettings.Usage);
                return 2;
        }
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        OperatorSettings settings;
        KubernetesClientConfiguration kube;
        try
        {
            settings = OperatorSettings.Parse(args);
            kube = KubeApi.LoadConfig(settings.Kubeconfig);
        }
        catch (Exception e) when (e is ArgumentException or KubeConfigException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(OperatorSettings.Usage);
            return 2;
        }
        using var client = new KubeApi(kube);
        await using var admin = new KafkaTopicAdmin();
        var host = await OperatorHost.StartAsync(settings, client, admin).ConfigureAwait(false);
        var stopping = new TaskCompletionSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stopping.TrySetResult();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.TrySetResult();
        };
        var finished = await Task.WhenAny(host.Completion, stopping.Task).ConfigureAwait(false);
        await host.DisposeAsync().ConfigureAwait(false);
        // Completion ending on its own means leadership was lost: exit non-zero so the pod restarts and campaigns.
        return finished == stopping.Task ? 0 : 1;
    }
}
