using System.Text.Json.Nodes;

namespace KafkaOperator.Kube.Testing;

/// <summary>An API error the fake server answers as a metav1.Status.</summary>
internal sealed class ApiError(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;

    public JsonObject ToStatus() => StatusObject(Code, Reason, Message);

    public static JsonObject StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    public static ApiError NotFound(ResourceKey key) =>
        new(404, "NotFound", $"{key.Plural}{(key.Group.Length > 0 ? "." + key.Group : "")} \"{key.Name}\" not found");

    public static ApiError Conflict(ResourceKey key) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {key.Plural} \"{key.Name}\": the object has been modified; please apply your changes to the latest version and try again");

    public static ApiError AlreadyExists(ResourceKey key) =>
        new(409, "AlreadyExists", $"{key.Plural} \"{key.Name}\" already exists");

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError Invalid(string message) => new(422, "Invalid", message);

    public static ApiError Expired(long requested, long oldest) =>
        new(410, "Expired", $"too old resource version: {requested} ({oldest})");
}
