using System.Buffers;
using System.Text.Json;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Quorum.Log;

/// <summary>
/// Kafka's <c>quorum-state</c> file: the epoch, the vote cast in it and the leader known for it, as JSON
/// ({"leaderId":1,"leaderEpoch":5,"votedId":-1,"data_version":0}). A write goes to a temporary file that is
/// fsynced and renamed over the old one, and the directory is fsynced, so a crash leaves either the old state or
/// the new, never half, and never the old after the new was acted on.
/// Exception policy: I/O errors propagate (as KafkaStorageException) (a vote must not be granted unless it is durable, so the caller may not
/// carry on as if the write happened). A file that exists but cannot be parsed throws
/// <see cref="InvalidDataException"/> rather than reading as "no state": starting over at epoch 0 could let this
/// node vote twice in an epoch.
/// </summary>
public sealed class FileQuorumStateStore(string path) : IQuorumStateStore
{
    public string Path { get; } = path;

    public QuorumState? Read()
    {
        if (!File.Exists(Path))
            return null;
        var bytes = File.ReadAllBytes(Path);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            return new QuorumState(
                root.GetProperty("leaderEpoch").GetInt32(),
                root.GetProperty("votedId").GetInt32(),
                root.GetProperty("leaderId").GetInt32());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{Path}: unreadable quorum state: {ex.Message}", ex);
        }
    }

    public void Write(QuorumState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("leaderId", state.LeaderId);
            writer.WriteNumber("leaderEpoch", state.Epoch);
            writer.WriteNumber("votedId", state.VotedId);
            writer.WriteNumber("data_version", 0);
            writer.WriteEndObject();
        }
        AtomicFile.Write(Path, buffer.WrittenSpan);
    }
}
