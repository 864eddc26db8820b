using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Admin.Output;

/// <summary>JSON for scripts: camelCase names, nulls kept (a missing commit is null, not absent), enums as strings.</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write<T>(TextWriter writer, T value) =>
        writer.WriteLine(JsonSerializer.Serialize(value, Options));

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
