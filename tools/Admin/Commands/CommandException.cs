namespace KafkaOperator.Admin.Commands;

/// <summary>An expected failure (bad input, refused operation) reported as one line without a stack trace.</summary>
public sealed class CommandException : Exception
{
    public CommandException()
    {
    }

    public CommandException(string message)
        : base(message)
    {
    }

    public CommandException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CommandException(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary><see cref="ExitCodes.Usage"/> for bad input; <see cref="ExitCodes.Failed"/> for a refused operation.</summary>
    public int ExitCode { get; } = ExitCodes.Usage;
}
