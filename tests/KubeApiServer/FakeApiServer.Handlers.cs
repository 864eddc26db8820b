using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace KafkaOperator.Kube.Testing;

public sealed partial class FakeApiServer
{
    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "",
            request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null, request.ContentType,
            context.Connection.ClientCertificate?.Subject);
        InjectedFailure? failure;
        HungRequests? hang;
        lock (_requestsLock)
        {
            _requests.Add(recorded);
            hang = _hangs.FirstOrDefault(h => h.Matches(request.Method, recorded.Path + recorded.Query));
            failure = _failures.FirstOrDefault(f => f.Remaining > 0
                && (f.Method is null || string.Equals(f.Method, request.Method, StringComparison.OrdinalIgnoreCase))
                && (f.PathContains is null || (recorded.Path + recorded.Query).Contains(f.PathContains, StringComparison.Ordinal)));
            if (failure is not null)
            {
                failure.Remaining--;
            }
        }
        try
        {
            if (hang is not null)
            {
                using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
                await hang.HoldAsync(gone.Token).ConfigureAwait(false);
            }
            if (failure is not null)
            {
                throw new ApiError(failure.StatusCode, ReasonFor(failure.StatusCode), $"injected failure ({failure.StatusCode})");
            }
            if (_options.AcceptedTokens is { } tokens
                && !(recorded.Authorization is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) && tokens.Contains(header[7..])))
            {
                throw new ApiError(401, "Unauthorized", "Unauthorized");
            }
            var path = ApiPath.Parse(recorded.Path) ?? throw new ApiError(404, "NotFound", $"the server could not find the requested resource ({recorded.Path})");
            await DispatchAsync(context, path).ConfigureAwait(false);
        }
        catch (ApiError error)
        {
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, error.Code, error.ToStatus().ToJsonString()).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // A bug in the fake server: answer it as the apiserver would, with the details for the test log.
            await WriteJsonAsync(context, 500, ApiError.StatusObject(500, "InternalError", e.ToString()).ToJsonString()).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(HttpContext context, ApiPath path)
    {
        var request = context.Request;
        var query = request.Query;
        switch (request.Method)
        {
            case "GET" when path.Name is null && query["watch"] is var watch && (watch == "true" || watch == "1"):
                await WatchAsync(context, path).ConfigureAwait(false);
                return;
            case "GET" when path.Name is null:
                var limit = int.TryParse(query["limit"], out var l) ? l : (int?)null;
                await WriteJsonAsync(context, 200, _store.List(path, query["labelSelector"], limit, query["continue"])).ConfigureAwait(false);
                return;
            case "GET":
                await WriteJsonAsync(context, 200, _store.Get(path.Key())).ConfigureAwait(false);
                return;
            case "POST" when path.Name is null:
                await WriteJsonAsync(context, 201, _store.Create(path, await ReadObjectAsync(request).ConfigureAwait(false), Manager(request))).ConfigureAwait(false);
                return;
            case "PUT" when path.Name is not null:
                await WriteJsonAsync(context, 200, _store.Update(path, await ReadObjectAsync(request).ConfigureAwait(false), Manager(request))).ConfigureAwait(false);
                return;
            case "PATCH" when path.Name is not null:
                await PatchAsync(context, path).ConfigureAwait(false);
                return;
            case "DELETE" when path.Name is not null:
                await DeleteAsync(context, path).ConfigureAwait(false);
                return;
            default:
                throw new ApiError(405, "MethodNotAllowed", $"{request.Method} is not supported on {request.Path}");
        }
    }

    private async Task PatchAsync(HttpContext context, ApiPath path)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
        var kind = contentType switch
        {
            "application/apply-patch+yaml" => PatchKind.Apply,
            "application/merge-patch+json" => PatchKind.Merge,
            "application/strategic-merge-patch+json" => PatchKind.StrategicMerge,
            _ => throw new ApiError(415, "UnsupportedMediaType", $"the fake server does not support patch type '{contentType}'"),
        };
        var apply = kind == PatchKind.Apply;
        if (apply && string.IsNullOrEmpty(context.Request.Query["fieldManager"]))
        {
            throw ApiError.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }
        // Apply bodies are YAML; this server accepts the JSON subset, which is what KubeApi sends.
        var patch = await ReadObjectAsync(context.Request).ConfigureAwait(false);
        if (apply && patch["metadata"]?["managedFields"] is JsonArray { Count: > 0 })
        {
            throw ApiError.BadRequest("metadata.managedFields must be nil");
        }
        if (apply && (patch["apiVersion"] is null || patch["kind"] is null))
        {
            throw ApiError.BadRequest("apiVersion and kind must be set in an apply patch");
        }
        if (kind == PatchKind.StrategicMerge && !path.Type.IsBuiltIn)
        {
            // As the apiserver: custom resources have no patch strategy, so no strategic merge patch.
            throw new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        }
        var force = context.Request.Query["force"] == "true";
        await WriteJsonAsync(context, 200, _store.Patch(path, patch, kind, Manager(context.Request), force)).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context, ApiPath path)
    {
        string? policy = context.Request.Query["propagationPolicy"];
        string? uid = null;
        string? resourceVersion = null;
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        if (body.Length > 0 && ParseObject(body) is { } options)
        {
            policy = (string?)options["propagationPolicy"] ?? policy;
            uid = (string?)options["preconditions"]?["uid"];
            resourceVersion = (string?)options["preconditions"]?["resourceVersion"];
        }
        if (policy is not (null or "Background" or "Foreground" or "Orphan"))
        {
            throw ApiError.BadRequest($"invalid propagationPolicy '{policy}'");
        }
        await WriteJsonAsync(context, 200, _store.Delete(path.Key(), policy, uid, resourceVersion)).ConfigureAwait(false);
    }

    private async Task WatchAsync(HttpContext context, ApiPath path)
    {
        var query = context.Request.Query;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        Watcher watcher;
        try
        {
            watcher = _store.Watch(path, query["labelSelector"], query["resourceVersion"], bookmarks);
        }
        catch (ApiError error) when (error.Code == 410 && !_options.ExpiredWatchAsHttpStatus)
        {
            await WriteJsonAsync(context, 200, $"{{\"type\":\"ERROR\",\"object\":{error.ToStatus().ToJsonString()}}}\n").ConfigureAwait(false);
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        if (int.TryParse(query["timeoutSeconds"], out var timeoutSeconds) && timeoutSeconds > 0)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        }
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(cts.Token).ConfigureAwait(false);
            var reader = watcher.Lines;
            while (await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    await context.Response.WriteAsync(line + "\n", cts.Token).ConfigureAwait(false);
                }
                await context.Response.Body.FlushAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout, client gone or server stopping: end the stream.
        }
        finally
        {
            _store.Unwatch(watcher);
        }
    }

    /// <summary>The field manager of a write: the fieldManager parameter, else the user agent's product, as the apiserver derives it.</summary>
    private static string Manager(HttpRequest request) =>
        request.Query["fieldManager"].ToString() is { Length: > 0 } manager ? manager
        : request.Headers.UserAgent.ToString().Split('/')[0] is { Length: > 0 } agent ? agent : "unknown";

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        return ParseObject(body) ?? throw ApiError.BadRequest("the request body must be a JSON object");
    }

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
}
