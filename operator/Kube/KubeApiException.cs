using System.Net;
using System.Text.Json;
using k8s.Models;

namespace KafkaOperator.Kube;

/// <summary>
/// An error answered by the API server (a metav1.Status), or a watch ERROR event. The library's HttpOperationException
/// carries only the HTTP status and the raw body; this reads the Status's reason and message (e.g. the manager a
/// server-side apply conflicts with).
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException()
        : this(0, "Unknown", "Kubernetes API error")
    {
    }

    public KubeApiException(string message)
        : this(0, "Unknown", message)
    {
    }

    public KubeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = "Unknown";
    }

    public KubeApiException(int statusCode, string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The HTTP status (409, 410, 422, ...).</summary>
    public int StatusCode { get; }

    /// <summary>The Status reason: Conflict, AlreadyExists, NotFound, Expired, Gone, Invalid, ...</summary>
    public string Reason { get; }

    public bool IsConflict => StatusCode == (int)HttpStatusCode.Conflict;
    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;
    public bool IsGone => StatusCode == (int)HttpStatusCode.Gone;

    /// <summary>Builds the exception from a Status body when there is one, else from the bare HTTP status.</summary>
    public static KubeApiException FromResponse(int statusCode, string? reasonPhrase, string? body, string what, Exception? inner = null)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return FromStatus(doc.RootElement, statusCode, what, inner);
                }
            }
            catch (JsonException)
            {
                // Not a Status: fall through to the raw text.
            }
        }
        var reason = string.IsNullOrEmpty(reasonPhrase) ? ((HttpStatusCode)statusCode).ToString() : reasonPhrase.Replace(" ", "", StringComparison.Ordinal);
        var text = string.IsNullOrWhiteSpace(body) ? reasonPhrase ?? "" : body.Trim();
        return new KubeApiException(statusCode, reason, $"{what}: {statusCode} {text}", inner);
    }

    /// <summary>Reads a metav1.Status object.</summary>
    public static KubeApiException FromStatus(V1Status status, string what)
    {
        ArgumentNullException.ThrowIfNull(status);
        var code = status.Code ?? 500;
        var reason = status.Reason ?? ((HttpStatusCode)code).ToString();
        return new KubeApiException(code, reason, $"{what}: {code} {reason}: {status.Message ?? reason}");
    }

    public static KubeApiException FromStatus(JsonElement status, int fallbackCode, string what, Exception? inner = null)
    {
        var code = status.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : fallbackCode;
        var reason = status.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : ((HttpStatusCode)code).ToString();
        var message = status.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : reason;
        return new KubeApiException(code, reason, $"{what}: {code} {reason}: {message}", inner);
    }
}
