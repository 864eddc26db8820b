using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Storage;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// A seeded, single-threaded simulation of partition replication: brokers whose replicas are production
/// <see cref="Partitions.Partition"/>s over real <see cref="PartitionLog"/>s in a temporary directory, a simulated
/// controller (the production election, liveness and AlterPartition rules over an in-memory image), a network
/// with delays and cut links, producers (acks=all and acks=1), consumers, and a nemesis that crashes brokers (with
/// and without losing unflushed writes), partitions the network, slows brokers down and shuts brokers down.
/// Time is virtual: one priority queue of events; every random choice comes from one seeded <see cref="Random"/>,
/// so a seed replays exactly. The invariants are checked after every event (<see cref="CheckInvariants"/>).
/// </summary>
internal sealed partial class ReplicationSimulator : IDisposable
{
    public const string TopicName = "sim";
    public static readonly Guid TopicId = new("5e1f0000-0000-4000-8000-00000000000a");

    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly HashSet<(int From, int To)> _cut = [];
    private readonly Queue<string> _recent = new();
    private readonly Action<string>? _trace;
    private readonly string _root;
    private long _sequence;

    public ReplicationSimulator(int seed, Action<string>? trace = null)
    {
        Seed = seed;
        Setup = SimSetup.ForSeed(seed);
        Rng = new Random(seed);
        _trace = trace;
        _root = Path.Combine(TempRoot(), $"replication-sim-{seed}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
        var overrides = new Dictionary<string, string>
        {
            ["min.insync.replicas"] = Setup.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Time-based rolls would start background flushes (non-deterministic recovery points): none here.
            ["segment.ms"] = "315360000000",
        };
        TopicConfig = TopicConfig.Create(BrokerConfig.Create(new Dictionary<string, string>()), overrides);
        LogConfig = Partitions.ReplicaManager.ToLogConfig(TopicConfig);
        LogOptions = new PartitionLogOptions { Time = new SimClock(this), Handles = new FileHandleCache(256) };
        Brokers = [.. Enumerable.Range(1, Setup.Brokers).Select(id => new SimBroker(id, Path.Combine(_root, $"broker-{id}")))];

        // Bootstrap as a formatted cluster does: every broker registered (unfenced), then the topic.
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        long offset = 0;
        foreach (var b in Brokers)
            machine.Apply(new RegisterBrokerRecord(b.Id, [new EndpointRecord("PLAINTEXT", "sim", 9000 + b.Id)], null), ++offset);
        var placement = Enumerable.Range(0, Setup.Partitions).Select(Setup.ReplicasOf).ToList();
        machine.Apply(new CreateTopicRecord(TopicName, TopicId, placement, overrides), ++offset);
        Controller = new SimController(this, machine.ToImage(SimController.Id), offset);
        foreach (var b in Brokers)
        {
            Directory.CreateDirectory(b.DataDir);
            StartProcess(b, hadCleanShutdown: true);
            b.BrokerEpoch = Controller.Image.Brokers[b.Id].Epoch;
            ApplyImage(b, Controller.Image, Controller.Offset);
            StartLoops(b);
        }
        Every(SimTiming.HeartbeatMs / 2, Controller.Pass);
    }

    public int Seed { get; }

    public SimSetup Setup { get; }

    public Random Rng { get; }

    public long Now { get; private set; }

    public long Steps { get; private set; }

    public IReadOnlyList<SimBroker> Brokers { get; }

    public SimController Controller { get; }

    public TopicConfig TopicConfig { get; }

    public LogConfig LogConfig { get; }

    public PartitionLogOptions LogOptions { get; }

    public SimBroker Broker(int id) => Brokers[id - 1];

    public void At(long time, Action action) => _events.Enqueue(action, (Math.Max(time, Now), _sequence++));

    /// <summary>Runs <paramref name="action"/> every <paramref name="periodMs"/> (with jitter) for the whole simulation.</summary>
    public void Every(int periodMs, Action action)
    {
        void Tick()
        {
            action();
            At(Now + periodMs + Rng.Next(0, 1 + (periodMs / 4)), Tick);
        }
        At(Now + Rng.Next(1, periodMs + 1), Tick);
    }

    public void RunUntil(long until)
    {
        while (_events.TryPeek(out _, out var when) && when.Item1 <= until)
        {
            var action = _events.Dequeue();
            Now = when.Item1;
            Steps++;
            action();
            AfterStep();
        }
        Now = until;
    }

    /// <summary>Runs until <paramref name="done"/> holds (checked every few ms) or <paramref name="limitMs"/> passes; true when it held.</summary>
    public bool RunUntil(Func<bool> done, long limitMs)
    {
        var end = Now + limitMs;
        while (Now < end)
        {
            if (done())
                return true;
            RunUntil(Math.Min(end, Now + 5));
        }
        return done();
    }

    // ---- network ------------------------------------------------------------------------------------------------

    public bool Cut(int from, int to) => _cut.Contains((from, to));

    public void CutLink(int from, int to) => _cut.Add((from, to));

    public void HealLinks() => _cut.Clear();

    public int CutCount => _cut.Count;

    private bool Slow(int node) => node != SimController.Id && node >= 1 && node <= Brokers.Count && Broker(node).SlowUntil > Now;

    private long Delay(int from, int to) =>
        Rng.Next(1, 6) + (Slow(from) || Slow(to) ? Rng.Next(SimTiming.SlowExtraMinMs, SimTiming.SlowExtraMaxMs) : 0);

    private bool Up(int node, int incarnation) => node == SimController.Id || (Broker(node) is { Alive: true } b && b.Incarnation == incarnation);

    private int IncarnationOf(int node) => node == SimController.Id ? 0 : Broker(node).Incarnation;

    /// <summary>
    /// A request from <paramref name="from"/> to <paramref name="to"/>: lost on a cut link or a dead target (the
    /// caller hears null after <paramref name="timeoutMs"/>), otherwise handled at the target, whose answer comes
    /// back over the reverse link. Answers reach only the incarnation that asked.
    /// </summary>
    public void Call<T>(int from, int to, Action<Action<T?>> handle, Action<T?> reply, int timeoutMs = SimTiming.RequestTimeoutMs)
        where T : class
    {
        var incarnation = IncarnationOf(from);
        var sentAt = Now;
        var answered = false;
        void Answer(T? response)
        {
            if (answered || !Up(from, incarnation))
                return;
            answered = true;
            reply(response);
        }
        void Fail() => At(sentAt + timeoutMs, () => Answer(null));
        if (Cut(from, to))
        {
            Fail();
            return;
        }
        At(Now + Delay(from, to), () =>
        {
            // A sender that died meanwhile took its connection along: the request is never read.
            if (!Up(from, incarnation))
                return;
            if (Cut(from, to) || (to != SimController.Id && !Broker(to).Alive))
            {
                Fail();
                return;
            }
            var targetIncarnation = IncarnationOf(to);
            handle(response =>
            {
                if (response is null || Cut(to, from) || !Up(to, targetIncarnation))
                {
                    Fail();
                    return;
                }
                At(Now + Delay(to, from), () =>
                {
                    if (Cut(to, from))
                        Fail();
                    else
                        Answer(response);
                });
            });
        });
    }

    // ---- trace --------------------------------------------------------------------------------------------------

    public void Trace(string line)
    {
        var text = $"{Now,6} {line}";
        _trace?.Invoke(text);
        _recent.Enqueue(text);
        if (_recent.Count > 80)
            _recent.Dequeue();
    }

    public string RecentTrace => string.Join(Environment.NewLine, _recent);

    public void Dispose()
    {
        foreach (var b in Brokers.Where(b => b.Alive))
        {
            foreach (var r in b.Replicas)
                r.Partition.Log.Dispose();
            b.Alive = false;
        }
        _pendingCancel.Cancel();
        _pendingCancel.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }

    /// <summary>tmpfs when there is one: fsyncs cost nothing there, and the simulation fsyncs a lot.</summary>
    private static string TempRoot()
    {
        const string shm = "/dev/shm";
        try
        {
            if (Directory.Exists(shm))
            {
                var probe = Path.Combine(shm, $"replication-sim-probe-{Guid.NewGuid():N}");
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
                return shm;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not writable: the usual temporary directory.
        }
        return Path.GetTempPath();
    }

    /// <summary>The logs' clock: virtual time (retention and rolls never trigger on it).</summary>
    private sealed class SimClock(ReplicationSimulator sim) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + sim.Now);
    }
}
