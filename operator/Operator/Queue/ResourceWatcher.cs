using KafkaOperator.Kube;
using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Watch;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Queue;

/// <summary>
/// List-then-watch loop: lists (reporting every object as Added), watches from the list's resourceVersion, resumes
/// from the last seen version when a watch ends, relists on 410 Gone, and backs off with jitter on other errors.
/// </summary>
public sealed class ResourceWatcher<T>(IKubeClient client, string? ns, string? labelSelector, ILogger logger) where T : KubeObject, new()
{
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Number of (re)lists performed; observable by tests.</summary>
    public int Lists { get; private set; }

    public async Task RunAsync(Func<WatchEvent<T>, Task> handler, CancellationToken ct)
    {
        var failures = 0;
        string? resourceVersion = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await client.ListAsync<T>(ns, labelSelector, ct).ConfigureAwait(false);
                    Lists++;
                    foreach (var item in list.Items)
                    {
                        await handler(new WatchEvent<T>(WatchEventType.Added, item)).ConfigureAwait(false);
                    }
                    resourceVersion = list.Metadata.ResourceVersion ?? "0";
                }
                await foreach (var e in client.WatchAsync<T>(ns, resourceVersion, labelSelector, allowBookmarks: true, timeoutSeconds: 300, ct: ct).ConfigureAwait(false))
                {
                    failures = 0;
                    if (e.Object?.Metadata.ResourceVersion is { } rv)
                    {
                        resourceVersion = rv;
                    }
                    if (e.Type != WatchEventType.Bookmark)
                    {
                        await handler(e).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.StatusCode == 410)
            {
                logger.LogInformation("watch of {Type} expired at {ResourceVersion}; relisting", typeof(T).Name, resourceVersion);
                resourceVersion = null;
            }
            catch (Exception e)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(failures, 10))) * (0.5 + Random.Shared.NextDouble() / 2));
                logger.LogWarning("watch of {Type} failed ({Error}); retrying in {Delay}", typeof(T).Name, e.Message, delay);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }
}
