using System.Net;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace KafkaOperator.Kube.Leader;

public sealed class LeaderElectionOptions
{
    public required string LeaseName { get; init; }
    public required string LeaseNamespace { get; init; }

    /// <summary>This candidate's identity, usually the pod name.</summary>
    public required string Identity { get; init; }

    /// <summary>How long others wait, from when they last saw the lease change, before taking it over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failed renewal before it gives leadership up.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay between acquire attempts and between renewals.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>On cancellation, clear the holder so another candidate can lead at once.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Errors of individual attempts (they count as failed attempts; the loop goes on).</summary>
    public Action<Exception>? OnError { get; init; }
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: expiry is judged on the local clock from
/// the moment this candidate last saw the lease record change (so clock skew between nodes does not matter), and
/// every write is a compare-and-swap on the lease's resourceVersion (KubernetesClient's LeaseLock), so two candidates
/// can never both win. The library's own LeaderElector is not used: it bounds each renewal round by RenewDeadline
/// counted from that round's start (after a RetryPeriod pause), does not cancel a hung request, and reads the
/// system clock, so a leader could act past RenewDeadline after its last successful renewal.
/// </summary>
public sealed class LeaderElector
{
    private readonly ILock _lock;
    private readonly LeaderElectionOptions _options;
    private readonly SemaphoreSlim _attempt = new(1, 1);
    private LeaderElectionRecord? _observedRecord;
    private DateTimeOffset _observedTime;
    private volatile bool _isLeader;

    public LeaderElector(IKubeClient client, LeaderElectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        if (options.RenewDeadline >= options.LeaseDuration)
        {
            throw new ArgumentException("RenewDeadline must be shorter than LeaseDuration.", nameof(options));
        }
        _lock = new LeaseLock(client.Kubernetes, options.LeaseNamespace, options.LeaseName, options.Identity);
        _options = options;
    }

    public bool IsLeader => _isLeader;

    /// <summary>The holder this candidate last saw in the lease (itself when leading).</summary>
    public string? ObservedLeader { get; private set; }

    /// <summary>
    /// One attempt: create the lease, renew it if held, or take it over if it expired. False when another candidate
    /// holds a live lease, when a concurrent write won (409), or on an error (reported to OnError).
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct = default)
    {
        await _attempt.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _isLeader = await AttemptAsync(ct).ConfigureAwait(false);
            return _isLeader;
        }
        catch (Exception e) when (e is KubeApiException or HttpOperationException or HttpRequestException or TimeoutException)
        {
            _options.OnError?.Invoke(e);
            _isLeader = false;
            return false;
        }
        finally
        {
            _attempt.Release();
        }
    }

    /// <summary>Gives the lease up (clears the holder) if this candidate holds it.</summary>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        await _attempt.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = await GetRecordAsync(ct).ConfigureAwait(false);
            if (record?.HolderIdentity != _options.Identity)
            {
                return;
            }
            var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
            await _lock.UpdateAsync(new LeaderElectionRecord
            {
                HolderIdentity = null,
                LeaseDurationSeconds = 1,
                AcquireTime = now,
                RenewTime = now,
                LeaderTransitions = record.LeaderTransitions,
            }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubeApiException or HttpOperationException or HttpRequestException or TimeoutException)
        {
            _options.OnError?.Invoke(e);
        }
        finally
        {
            _isLeader = false;
            _attempt.Release();
        }
    }

    /// <summary>
    /// Campaigns until leading, runs <paramref name="onStartedLeading"/> with a token that is cancelled when leadership
    /// ends, renews every RetryPeriod, and returns when leadership is lost or <paramref name="ct"/> is cancelled. Like
    /// client-go, it does not campaign again: restart the process (or call RunAsync again) after a loss.
    /// Leadership lasts RenewDeadline from the start of the last successful write of the lease (others count their
    /// LeaseDuration from a later moment: when they see that write). Every API call is bounded by what remains of that
    /// deadline, and the moment it passes the work's token is cancelled and IsLeader turns false, even while a request
    /// hangs: a slow API server cannot keep a leader acting after another candidate may have taken over.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> onStartedLeading, Action? onStoppedLeading = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(onStartedLeading);
        var time = _options.TimeProvider;
        DateTimeOffset lastRenew;
        try
        {
            while (true)
            {
                lastRenew = time.GetUtcNow();
                // An acquisition that completes after RenewDeadline would start a leadership that has already ended.
                using var bounded = new CancellationTokenSource(_options.RenewDeadline, time);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, bounded.Token);
                try
                {
                    if (await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (bounded.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    _options.OnError?.Invoke(new TimeoutException($"acquiring lease {_options.LeaseNamespace}/{_options.LeaseName} took longer than the renew deadline ({_options.RenewDeadline})"));
                }
                await Task.Delay(_options.RetryPeriod, time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }

        // Fires RenewDeadline after the last successful renewal started, wherever the loop below happens to be.
        using var expiry = new CancellationTokenSource(Remaining(lastRenew), time);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct, expiry.Token);
        using var stepDown = expiry.Token.UnsafeRegister(_ => _isLeader = false, null);
        var work = Task.Run(() => onStartedLeading(leading.Token), CancellationToken.None);
        try
        {
            while (true)
            {
                await Task.Delay(_options.RetryPeriod, time, leading.Token).ConfigureAwait(false);
                var attemptStart = time.GetUtcNow();
                var renewed = await TryAcquireOrRenewAsync(leading.Token).ConfigureAwait(false);
                // A success that lands after the deadline fired does not revive a leadership already given up.
                expiry.Token.ThrowIfCancellationRequested();
                if (renewed)
                {
                    lastRenew = attemptStart;
                    expiry.CancelAfter(Remaining(lastRenew));
                }
                else if (ObservedLeader != _options.Identity)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (_options.ReleaseOnCancel)
            {
                await ReleaseBoundedAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
            _options.OnError?.Invoke(new TimeoutException($"lease {_options.LeaseNamespace}/{_options.LeaseName} not renewed within the renew deadline ({_options.RenewDeadline}); stopped leading"));
        }
        finally
        {
            _isLeader = false;
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The leader's work stopping because its token fired is the expected way out.
            }
            onStoppedLeading?.Invoke();
        }

        TimeSpan Remaining(DateTimeOffset renewed) =>
            TimeSpan.FromTicks(Math.Max(1, (renewed + _options.RenewDeadline - time.GetUtcNow()).Ticks));
    }

    /// <summary>Releases on shutdown without letting a hung API server hold the process up for long.</summary>
    private async Task ReleaseBoundedAsync()
    {
        using var bounded = new CancellationTokenSource(_options.RenewDeadline, _options.TimeProvider);
        try
        {
            await ReleaseAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            // The lease expires on its own.
        }
    }

    private async Task<bool> AttemptAsync(CancellationToken ct)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var durationSeconds = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds);
        var record = await GetRecordAsync(ct).ConfigureAwait(false);
        if (record is null)
        {
            var created = new LeaderElectionRecord
            {
                HolderIdentity = _options.Identity,
                LeaseDurationSeconds = durationSeconds,
                AcquireTime = now.UtcDateTime,
                RenewTime = now.UtcDateTime,
                LeaderTransitions = 0,
            };
            // False when another candidate created it first (409), or on any other API error.
            if (!await _lock.CreateAsync(created, ct).ConfigureAwait(false))
            {
                return false;
            }
            Observe(created, now);
            return true;
        }

        if (_observedRecord is null || !SameRecord(_observedRecord, record))
        {
            Observe(record, now);
        }
        ObservedLeader = record.HolderIdentity;
        var heldByOther = !string.IsNullOrEmpty(record.HolderIdentity) && record.HolderIdentity != _options.Identity;
        var recordDuration = TimeSpan.FromSeconds(record.LeaseDurationSeconds > 0 ? record.LeaseDurationSeconds : durationSeconds);
        if (heldByOther && _observedTime + recordDuration > now)
        {
            return false;
        }

        var renewing = record.HolderIdentity == _options.Identity;
        var updated = new LeaderElectionRecord
        {
            HolderIdentity = _options.Identity,
            LeaseDurationSeconds = durationSeconds,
            AcquireTime = renewing ? record.AcquireTime ?? now.UtcDateTime : now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            LeaderTransitions = renewing ? record.LeaderTransitions : record.LeaderTransitions + 1,
        };
        // A compare-and-swap on the resourceVersion the lock read: false when another candidate wrote in between.
        if (!await _lock.UpdateAsync(updated, ct).ConfigureAwait(false))
        {
            return false;
        }
        Observe(updated, now);
        return true;
    }

    /// <summary>The lease's record, or null when there is no lease (or it has no holder record yet).</summary>
    private async Task<LeaderElectionRecord?> GetRecordAsync(CancellationToken ct)
    {
        try
        {
            var record = await _lock.GetAsync(ct).ConfigureAwait(false);
            return record.AcquireTime is null && record.RenewTime is null && record.HolderIdentity is null && record.LeaderTransitions == 0 ? null : record;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private void Observe(LeaderElectionRecord record, DateTimeOffset now)
    {
        _observedRecord = record;
        _observedTime = now;
        ObservedLeader = record.HolderIdentity;
    }

    private static bool SameRecord(LeaderElectionRecord a, LeaderElectionRecord b) =>
        a.HolderIdentity == b.HolderIdentity && a.RenewTime == b.RenewTime && a.AcquireTime == b.AcquireTime
        && a.LeaderTransitions == b.LeaderTransitions && a.LeaseDurationSeconds == b.LeaseDurationSeconds;
}
