using System.Diagnostics;
using System.Runtime.InteropServices;
using KafkaOperator.Server.Config;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var clock = Stopwatch.StartNew();
        Network.IoThreads.EnableInlineCompletions();
        BrokerConfig config;
        try
        {
            config = CommandLine.Parse(args);
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"error: cannot read config: {ex.Message}");
            return 1;
        }
        foreach (var key in config.UnknownKeys)
            Log.Warn($"unknown configuration key '{key}' (kept, not used)");
        foreach (var warning in config.Policies.Warnings)
            Log.Warn(warning);

        BrokerHost broker;
        try
        {
            broker = await BrokerHost.StartAsync(config).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException or InvalidDataException or KafkaStorageException)
        {
            Console.Error.WriteLine($"error: broker failed to start: {ex.Message}");
            return 1;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => { c.Cancel = true; stop.TrySetResult(); });

        if (broker.MetricsPort >= 0)
            Console.Out.WriteLine($"metrics: http://{config.MetricsHost ?? "0.0.0.0"}:{broker.MetricsPort}{Metrics.MetricsEndpoint.Path}");
        var l = broker.BoundListeners[0];
        Console.Out.WriteLine($"KafkaOperator broker ready: listening on {(string.IsNullOrEmpty(l.Host) ? "0.0.0.0" : l.Host)}:{l.Port} ({clock.ElapsedMilliseconds} ms)");
        Console.Out.Flush();

        await stop.Task.ConfigureAwait(false);
        Log.Info($"shutting down t={Log.Micros()}");
        try
        {
            await broker.StopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Only the flush and checkpoint steps throw; the next start recovers the logs as after a crash.
            Log.Error($"shutdown did not complete, logs not flushed or checkpointed ({ex.GetType().Name}: {ex.Message}); the next start will recover them");
            return 1;
        }
        Log.Info($"shut down cleanly t={Log.Micros()}");
        return 0;
    }
}
