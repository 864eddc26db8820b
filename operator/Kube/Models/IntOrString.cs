using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

/// <summary>Kubernetes IntOrString: a port number or name, a count or a percentage.</summary>
[JsonConverter(typeof(IntOrStringConverter))]
public readonly record struct IntOrString
{
    public IntOrString(int value)
    {
        IntValue = value;
        StringValue = null;
    }

    public IntOrString(string value)
    {
        IntValue = 0;
        StringValue = value ?? throw new ArgumentNullException(nameof(value));
    }

    public int IntValue { get; }
    public string? StringValue { get; }
    public bool IsString => StringValue is not null;

    public static implicit operator IntOrString(int value) => new(value);
    public static implicit operator IntOrString(string value) => new(value);

    public static IntOrString FromInt32(int value) => new(value);
    public static IntOrString FromString(string value) => new(value);

    public override string ToString() => StringValue ?? IntValue.ToString(CultureInfo.InvariantCulture);
}

public sealed class IntOrStringConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => new IntOrString(reader.GetInt32()),
            JsonTokenType.String => new IntOrString(reader.GetString()!),
            _ => throw new JsonException($"Expected an int or a string, got {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.StringValue is { } s)
        {
            writer.WriteStringValue(s);
        }
        else
        {
            writer.WriteNumberValue(value.IntValue);
        }
    }
}
