using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using ServerBroker = KafkaOperator.Server.Tests.Infrastructure.BrokerProcess;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// Plays the StatefulSet controller and the kubelet against the in-process API server with real broker processes:
/// one process per ordinal (combined voters below the controller count, broker-only above), a pod
/// per ordinal at the StatefulSet's current revision, Ready exactly when the broker's /ready answers 200. A deleted
/// pod stops its broker with SIGTERM (a clean shutdown, as the kubelet does) and comes back with the broker
/// restarted on the same data directory and ports. Ordinals up to a capacity fixed at start can be added: a
/// StatefulSet scaled up gets their broker processes started (broker-only, on ports reserved at start), and one scaled
/// down loses its highest pods first, one at a time, each broker stopped with SIGTERM (its data kept, as a PVC is).
/// </summary>
public sealed class TestKubelet : IAsyncDisposable
{
    private readonly IKubeClient _client;
    private readonly string _ns;
    private readonly string _sts;
    private readonly ServerBroker?[] _brokers;
    private readonly Func<int, Task<ServerBroker>> _start;
    private readonly Task<ServerBroker>?[] _starting;
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Task _loop;
    private readonly Dictionary<int, bool> _ready = [];

    private TestKubelet(IKubeClient client, string ns, string cluster, ServerBroker?[] brokers, Func<int, Task<ServerBroker>> start)
    {
        _client = client;
        _ns = ns;
        _sts = cluster + "-broker";
        _brokers = brokers;
        _start = start;
        _starting = new Task<ServerBroker>?[brokers.Length];
        Restarts = new int[brokers.Length];
        _loop = Task.Run(LoopAsync);
    }

    public string Bootstrap => string.Join(',', _brokers.Where(b => b is not null).Select(b => b!.BootstrapServers));

    /// <summary>Restarts per ordinal (pod deletions that stopped and restarted the broker).</summary>
    public int[] Restarts { get; }

    /// <summary>Ordinals whose pods a scale-down removed, in the order they went.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<int> Removed { get; } = new();

    /// <summary>Called with the ordinal before a scale-down stops its broker and deletes its pod (to observe what it still holds).</summary>
    public Func<int, Task>? BeforePodRemoved { get; set; }

    public Exception? Failure { get; private set; }

    /// <summary>The broker process of an ordinal (to read its pid, or to stop, pause or restart it behind the pod's back).</summary>
    public ServerBroker Broker(int ordinal) => _brokers[ordinal] ?? throw new InvalidOperationException($"no broker process for ordinal {ordinal}");

    /// <summary>The process id of every running broker, by ordinal.</summary>
    public Dictionary<int, int> Pids() =>
        Enumerable.Range(0, _brokers.Length).Where(i => _brokers[i] is { IsRunning: true }).ToDictionary(i => i, i => _brokers[i]!.Pid);

    /// <summary>Ordinals below <paramref name="controllers"/> are combined voters, the others broker-only, as the operator renders them.</summary>
    public static async Task<TestKubelet> StartAsync(IKubeClient client, string ns, string cluster, int count, IReadOnlyDictionary<string, string> settings,
        int? controllers = null, int? capacity = null)
    {
        var voterCount = controllers ?? count;
        var slots = Math.Max(capacity ?? count, count);
        var ports = KafkaOperator.Server.Tests.Infrastructure.LoopbackPorts.Free(slots + voterCount);
        var voters = string.Join(',', Enumerable.Range(0, voterCount).Select(i => $"{i}@127.0.0.1:{ports[slots + i]}"));
        var clusterId = "op-" + Guid.NewGuid().ToString("N")[..16];
        Task<ServerBroker> Start(int i)
        {
            var overrides = new Dictionary<string, string>(settings)
            {
                ["node.id"] = i.ToString(CultureInfo.InvariantCulture),
                ["process.roles"] = i < voterCount ? "broker,controller" : "broker",
                ["cluster.id"] = clusterId,
                ["controller.quorum.voters"] = voters,
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = i < voterCount ? $"PLAINTEXT://127.0.0.1:{ports[i]},CONTROLLER://127.0.0.1:{ports[slots + i]}" : $"PLAINTEXT://127.0.0.1:{ports[i]}",
                ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{ports[i]}",
            };
            return ServerBroker.StartAsync(overrides: overrides);
        }
        var starts = Enumerable.Range(0, count).Select(Start).ToList();
        try
        {
            var brokers = new ServerBroker?[slots];
            foreach (var (s, i) in starts.Select((s, i) => (s, i)))
            {
                brokers[i] = await s;
            }
            return new TestKubelet(client, ns, cluster, brokers, Start);
        }
        catch
        {
            foreach (var s in starts.Where(t => t.IsCompletedSuccessfully))
            {
                await s.Result.DisposeAsync();
            }
            throw;
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(_stop.Token);
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Failure = e;
                return;
            }
        }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        var sts = await _client.GetAsync<V1StatefulSet>(_ns, _sts, ct);
        if (sts?.Spec is null)
        {
            return;
        }
        var revision = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(KubernetesJson.Serialize(sts.Spec.Template))))[..10];
        if (sts.Status?.UpdateRevision != revision || sts.Status.ObservedGeneration != sts.Metadata.Generation)
        {
            sts.Status = new V1StatefulSetStatus { Replicas = sts.Spec.Replicas ?? 0, UpdateRevision = revision, CurrentRevision = revision, ObservedGeneration = sts.Metadata.Generation };
            await _client.ReplaceStatusAsync(sts, ct);
        }
        var replicas = Math.Min(sts.Spec.Replicas ?? 0, _brokers.Length);
        // A scale-down removes the highest ordinal first and the next only once that one is gone, as the StatefulSet
        // controller does (OrderedReady).
        for (var i = _brokers.Length - 1; i >= replicas; i--)
        {
            if (_ready.ContainsKey(i))
            {
                await RemoveAsync(i, ct);
                return;
            }
        }
        for (var i = 0; i < replicas; i++)
        {
            var name = $"{_sts}-{i}";
            var pod = await _client.GetAsync<V1Pod>(_ns, name, ct);
            if (_brokers[i] is null)
            {
                // A new ordinal: its pod is there, not Ready, while the broker process starts.
                _starting[i] ??= _start(i);
                if (_starting[i]!.IsCompleted)
                {
                    _brokers[i] = await _starting[i]!;
                }
            }
            var broker = _brokers[i];
            if (pod is null)
            {
                if (broker is { IsRunning: true } && _ready.ContainsKey(i))
                {
                    // The pod was deleted: a clean stop (leaderships move first), then the new pod's container.
                    await broker.StopAsync();
                    await broker.RestartAsync();
                    Restarts[i]++;
                }
                else if (broker is { IsRunning: false })
                {
                    await broker.RestartAsync(); // scaled down earlier, now back on its old data
                }
                pod = new V1Pod { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = _ns } };
                pod.Metadata.Labels = new Dictionary<string, string>(sts.Spec.Template.Metadata!.Labels!) { ["controller-revision-hash"] = revision };
                pod.Metadata.Annotations = new Dictionary<string, string>(sts.Spec.Template.Metadata.Annotations!);
                await _client.CreateAsync(pod, ct);
                _ready[i] = false;
                await SetReadyAsync(name, false, ct);
            }
            var ready = await ProbeAsync(broker, ct);
            if (!_ready.TryGetValue(i, out var was) || was != ready)
            {
                await SetReadyAsync(name, ready, ct);
                _ready[i] = ready;
            }
        }
    }

    private async Task RemoveAsync(int ordinal, CancellationToken ct)
    {
        if (BeforePodRemoved is { } hook)
        {
            await hook(ordinal);
        }
        if (_brokers[ordinal] is { IsRunning: true } broker)
        {
            await broker.StopAsync();
        }
        await _client.DeleteAsync<V1Pod>(_ns, $"{_sts}-{ordinal}", ct: ct);
        _ready.Remove(ordinal);
        Removed.Enqueue(ordinal);
    }

    private async Task<bool> ProbeAsync(ServerBroker? broker, CancellationToken ct)
    {
        if (broker is null || !broker.IsRunning || broker.MetricsPort < 0)
        {
            return false;
        }
        try
        {
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{broker.MetricsPort}/ready"), ct);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task SetReadyAsync(string name, bool ready, CancellationToken ct)
    {
        var pod = (await _client.GetAsync<V1Pod>(_ns, name, ct))!;
        pod.Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] };
        await _client.ReplaceStatusAsync(pod, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        for (var i = 0; i < _brokers.Length; i++)
        {
            if (_brokers[i] is null && _starting[i] is { } starting)
            {
                try
                {
                    _brokers[i] = await starting;
                }
                catch (InvalidOperationException)
                {
                    // It never got ready; StartAsync cleaned up after itself.
                }
            }
        }
        foreach (var b in _brokers.Where(b => b is not null))
        {
            await b!.DisposeAsync();
        }
        _http.Dispose();
        _stop.Dispose();
    }
}
