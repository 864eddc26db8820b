namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>Tests that measure process-wide allocation run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (allocation measurements)";
}
