using System.CommandLine;
using System.Net.Sockets;
using KafkaOperator.Client;

namespace KafkaOperator.Admin.Commands;

public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The broker refused or failed the operation, or it could not be reached.</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments (parse errors from System.CommandLine also exit non-zero).</summary>
    public const int Usage = 2;

    public const int Cancelled = 130;
}

/// <summary>
/// Binds handlers to commands and turns every expected failure (Kafka error codes, unreachable brokers, timeouts,
/// bad input) into one "error:" line and a non-zero exit code. Only a bug reaches the last catch, which still prints
/// one line: a CLI user should never see a stack trace.
/// </summary>
public sealed class CommandRunner(GlobalOptions options, TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public void Bind(Command command, Func<CommandContext, CancellationToken, Task<int>> handler) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var context = new CommandContext(parse, options, Out, Err);
                return await handler(context, cancellationToken).ConfigureAwait(false);
            }
            catch (CommandException ex)
            {
                return Fail(ex.Message, ex.ExitCode);
            }
            catch (KafkaException ex)
            {
                return Fail(ex.Message, ExitCodes.Failed);
            }
            catch (KafkaConnectionException ex) when (ex.NodeId >= 0)
            {
                return Fail($"cannot reach {ex.Message}", ExitCodes.Failed);
            }
            catch (KafkaConnectionException ex)
            {
                return Fail($"cannot reach the cluster: {ex.Message}", ExitCodes.Failed);
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                return Fail($"connection failed: {ex.Message}", ExitCodes.Failed);
            }
            catch (TimeoutException ex)
            {
                return Fail($"timed out: {ex.Message}", ExitCodes.Failed);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Fail("cancelled", ExitCodes.Cancelled);
            }
            catch (OperationCanceledException ex)
            {
                return Fail($"timed out: {ex.Message}", ExitCodes.Failed);
            }
            catch (ArgumentException ex)
            {
                return Fail(ex.Message, ExitCodes.Usage);
            }
            catch (Exception ex)
            {
                return Fail($"unexpected {ex.GetType().Name}: {ex.Message}", ExitCodes.Failed);
            }
        });

    private int Fail(string message, int code)
    {
        Err.WriteLine($"error: {message}");
        return code;
    }
}
