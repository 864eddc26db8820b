namespace KafkaOperator.Operator.Crds;

// Attributes read by CrdGenerator: the C# types are the single source of truth for the CRD schemas in crds/.

/// <summary>Human-readable description emitted into the OpenAPI schema.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Enum)]
public sealed class DocAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}

/// <summary>The property must be present.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;

[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}

[AttributeUsage(AttributeTargets.Property)]
public sealed class MaxLengthAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}

[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string regex) : Attribute
{
    public string Regex { get; } = regex;
}

/// <summary>Schema default, as JSON text (e.g. "1", "\"Delete\"", "false").</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultValueAttribute(string json) : Attribute
{
    public string Json { get; } = json;
}

/// <summary>An x-kubernetes-validations CEL rule on a property or on the object schema of a class.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class, AllowMultiple = true)]
public sealed class CelRuleAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;
    public string Message { get; } = message;
}

/// <summary>Free-form Kubernetes structure (affinity, resources...) kept as-is.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;

/// <summary>CRD-level metadata for a custom resource root type.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CrdAttribute(string singular, string listKind) : Attribute
{
    public string Singular { get; } = singular;
    public string ListKind { get; } = listKind;
    public string[] ShortNames { get; set; } = [];
    public string[] Categories { get; set; } = [];
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class PrinterColumnAttribute(int order, string name, string type, string jsonPath) : Attribute
{
    public int Order { get; } = order;
    public string Name { get; } = name;
    public string Type { get; } = type;
    public string JsonPath { get; } = jsonPath;
    public string? Description { get; set; }
    public int Priority { get; set; }
}

/// <summary>Map keys that users may not set; emitted as a CEL rule and enforced again by the reconciler.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ForbiddenKeysAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}
