using System.Net;
using System.Text.Json;

namespace KafkaOperator.Kube;

/// <summary>An error answered by the API server (a metav1.Status), or a watch ERROR event.</summary>
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

    public KubeApiException(int statusCode, string reason, string message)
        : base(message)
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
    public static KubeApiException FromResponse(int statusCode, string? reasonPhrase, string? body, string what)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return FromStatus(doc.RootElement, statusCode, what);
                }
            }
            catch (JsonException)
            {
                // Not a Status: fall through to the raw text.
            }
        }
        var reason = string.IsNullOrEmpty(reasonPhrase) ? ((HttpStatusCode)statusCode).ToString() : reasonPhrase.Replace(" ", "", StringComparison.Ordinal);
        var text = string.IsNullOrWhiteSpace(body) ? reasonPhrase ?? "" : body.Trim();
        return new KubeApiException(statusCode, reason, $"{what}: {statusCode} {text}");
    }

    /// <summary>Reads a metav1.Status object.</summary>
    public static KubeApiException FromStatus(JsonElement status, int fallbackCode, string what)
    {
        var code = status.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : fallbackCode;
        var reason = status.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : ((HttpStatusCode)code).ToString();
        var message = status.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : reason;
        return new KubeApiException(code, reason, $"{what}: {code} {reason}: {message}");
    }
}
