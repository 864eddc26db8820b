using KafkaOperator.Protocol;

namespace KafkaOperator.Server.Cluster;

/// <summary>
/// Runs a metadata store change and turns its failure into the Kafka error a client is given: the error of a change
/// that committed but did not apply (a topic another broker created first), or NOT_CONTROLLER (retriable) when the
/// metadata quorum could not commit it. Any other exception is not a client's error and propagates.
/// </summary>
public static class StoreCommit
{
    public static async Task<(ErrorCode Error, string Message)?> RunAsync(Func<Task> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            await change().ConfigureAwait(false);
            return null;
        }
        catch (Controller.MetadataStoreException ex)
        {
            return (ex.Error, ex.Message);
        }
        catch (Quorum.QuorumException ex)
        {
            return (ErrorCode.NotController, $"The metadata quorum has no reachable controller right now: {ex.Message}");
        }
    }
}
