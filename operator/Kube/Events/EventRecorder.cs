using System.Globalization;
using k8s;
using k8s.Models;

namespace KafkaOperator.Kube.Events;

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>
/// Records core/v1 Events about objects (what `kubectl describe` shows). Repeats of the same type/reason/message on the
/// same object bump the count of the existing Event instead of creating new ones. Recording is best effort: API
/// failures go to the error callback and never reach the caller, so a reconcile never fails because of an event.
/// </summary>
public sealed class EventRecorder
{
    private const int MaxMessageLength = 1024;

    private readonly IKubeClient _client;
    private readonly string _component;
    private readonly string? _instance;
    private readonly TimeProvider _time;
    private readonly Action<Exception>? _onError;
    private readonly Dictionary<string, (string Namespace, string Name, int Count)> _recent = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _sequence;

    public EventRecorder(IKubeClient client, string component, string? instance = null, TimeProvider? time = null, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(component);
        _client = client;
        _component = component;
        _instance = instance;
        _time = time ?? TimeProvider.System;
        _onError = onError;
    }

    public Task NormalAsync(IKubernetesObject<V1ObjectMeta> involved, string reason, string message, CancellationToken ct = default) =>
        RecordAsync(involved, EventTypes.Normal, reason, message, ct);

    public Task WarningAsync(IKubernetesObject<V1ObjectMeta> involved, string reason, string message, CancellationToken ct = default) =>
        RecordAsync(involved, EventTypes.Warning, reason, message, ct);

    /// <summary>Records an event; <paramref name="type"/> is Normal or Warning.</summary>
    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(involved);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (type is not (EventTypes.Normal or EventTypes.Warning))
        {
            throw new ArgumentException($"Event type must be Normal or Warning, not '{type}'.", nameof(type));
        }
        KubeEntity.WithTypeMeta(involved);
        var name = involved.Metadata?.Name ?? throw new ArgumentException("The involved object has no name.", nameof(involved));
        message = message.Length > MaxMessageLength ? message[..MaxMessageLength] : message;
        var ns = string.IsNullOrEmpty(involved.Metadata.NamespaceProperty) ? "default" : involved.Metadata.NamespaceProperty;
        var key = string.Join('\u0001', involved.Metadata.Uid ?? $"{ns}/{involved.Kind}/{name}", type, reason, message);
        var now = _time.GetUtcNow();

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_recent.TryGetValue(key, out var seen))
            {
                try
                {
                    await _client.MergePatchAsync<Corev1Event>(seen.Namespace, seen.Name, new { count = seen.Count + 1, lastTimestamp = now }, ct: ct).ConfigureAwait(false);
                    _recent[key] = seen with { Count = seen.Count + 1 };
                    return;
                }
                catch (KubeApiException e) when (e.IsNotFound)
                {
                    // The event expired (events have a TTL): record it afresh.
                    _recent.Remove(key);
                }
            }
            var sequence = Interlocked.Increment(ref _sequence);
            var created = await _client.CreateAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta
                {
                    NamespaceProperty = ns,
                    Name = string.Create(CultureInfo.InvariantCulture, $"{name}.{now.ToUnixTimeMilliseconds():x}{sequence:x}"),
                },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = involved.ApiVersion,
                    Kind = involved.Kind,
                    Name = name,
                    NamespaceProperty = involved.Metadata.NamespaceProperty,
                    Uid = involved.Metadata.Uid,
                    ResourceVersion = involved.Metadata.ResourceVersion,
                },
                Type = type,
                Reason = reason,
                Message = message,
                Source = new V1EventSource { Component = _component, Host = _instance },
                ReportingComponent = _component,
                ReportingInstance = _instance,
                FirstTimestamp = now.UtcDateTime,
                LastTimestamp = now.UtcDateTime,
                Count = 1,
            }, ct).ConfigureAwait(false);
            _recent[key] = (ns, created.Metadata.Name!, 1);
            if (_recent.Count > 4096)
            {
                _recent.Clear();
            }
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or TimeoutException)
        {
            _onError?.Invoke(e);
        }
        finally
        {
            _gate.Release();
        }
    }
}
