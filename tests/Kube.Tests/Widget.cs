using KafkaOperator.Kube.Models;

namespace KafkaOperator.Kube.Tests;

/// <summary>A custom resource for the tests: spec drives generation, status lives in the subresource.</summary>
[KubeResource("test.example.com", "v1", "widgets", "Widget")]
public sealed class Widget : KubeObject
{
    public WidgetSpec? Spec { get; set; }
    public WidgetStatus? Status { get; set; }

    public static Widget Make(string ns, string name, int size = 1, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new ObjectMeta { Namespace = ns, Name = name, Labels = labels },
        Spec = new WidgetSpec { Size = size },
    };
}

public sealed class WidgetSpec
{
    public int Size { get; set; }
    public string? Color { get; set; }
}

public sealed class WidgetStatus
{
    public string? Phase { get; set; }
    public long? ObservedGeneration { get; set; }
}

[KubeResource("test.example.com", "v1", "gadgets", "Gadget", Namespaced = false)]
public sealed class Gadget : KubeObject
{
    public WidgetSpec? Spec { get; set; }
    public WidgetStatus? Status { get; set; }
}
