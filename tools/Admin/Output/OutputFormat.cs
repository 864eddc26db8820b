namespace KafkaOperator.Admin.Output;

public enum OutputFormat
{
    /// <summary>Aligned, human-readable tables.</summary>
    Table,

    /// <summary>One indented JSON document on stdout, for scripts.</summary>
    Json,
}
