using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Producers;

// File format of `<20-digit offset>.snapshot` (Kafka's producer state snapshot, with this broker's fields), all
// integers big-endian:
//
//   version            int8    1
//   crc                uint32  CRC32C of every byte after this field
//   producer count     int32
//   per producer:
//     producer id      int64
//     producer epoch   int16
//     coordinator ep.  int32   -1: none (no transaction marker seen)
//     last timestamp   int64   what producer.id.expiration.ms is measured from
//     batch count      int8    0..ProducerStateManager.BatchesToRetain
//     per batch, oldest first:
//       first sequence int32
//       last sequence  int32
//       first offset   int64
//       last offset    int64
//
// The file holds the state after every batch below its offset. Kafka keeps only each producer's last batch; the
// last five are kept here so that a producer retrying any of its in-flight batches after a broker restart gets the
// original offsets back (Kafka answers those with OutOfOrderSequence / DuplicateSequence instead).
//
// Exception policy: Write throws KafkaStorageException; TryRead never throws: a missing, short, unknown-version or
// CRC-failing file is reported through its `error` out parameter, and the caller falls back to an older snapshot or
// to scanning the log.

/// <summary>Reading and writing producer state snapshot files.</summary>
internal static class ProducerSnapshotFile
{
    public const string Suffix = ".snapshot";
    public const byte Version = 1;

    private const int HeaderSize = 1 + 4 + 4;
    private const int EntryFixedSize = 8 + 2 + 4 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8;

    public static string PathFor(string directory, long offset) =>
        Path.Combine(directory, offset.ToString("D20", CultureInfo.InvariantCulture) + Suffix);

    /// <summary>
    /// Replaces the file by temp file and rename. <paramref name="durable"/> adds the fsyncs (file and directory);
    /// without them a crash may leave a torn file, which the CRC rejects, or none: <see cref="Sync"/> finishes later.
    /// </summary>
    public static void Write(string path, IReadOnlyCollection<ProducerSnapshotEntry> entries, bool durable)
    {
        var bytes = Serialize(entries);
        if (durable)
        {
            AtomicFile.Write(path, bytes);
            return;
        }

        var tmp = path + ".tmp";
        try
        {
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot write {path}: {e.Message}", e);
        }
    }

    /// <summary>Makes a snapshot written without <c>durable</c> durable; false when the file is gone meanwhile.</summary>
    public static bool Sync(string path)
    {
        try
        {
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
            {
                NativeFile.Fdatasync(handle);
            }

            NativeFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot fsync {path}: {e.Message}", e);
        }
    }

    public static bool TryRead(string path, out List<ProducerSnapshotEntry> entries, out string error)
    {
        entries = [];
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read it: {e.Message}";
            return false;
        }

        if (bytes.Length < HeaderSize)
        {
            error = $"it has {bytes.Length} bytes, fewer than a header";
            return false;
        }

        if (bytes[0] != Version)
        {
            error = $"unknown version {bytes[0]}";
            return false;
        }

        var stored = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1));
        var computed = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, bytes.AsSpan(5));
        if (stored != computed)
        {
            error = $"CRC mismatch (stored {stored:x8}, computed {computed:x8})";
            return false;
        }

        // The CRC matched, so what follows is what a writer produced; the bounds checks only keep a file from
        // another writer (or a CRC collision) from throwing.
        var span = bytes.AsSpan(5);
        var count = BinaryPrimitives.ReadInt32BigEndian(span);
        span = span[4..];
        if (count < 0 || (long)count * EntryFixedSize > span.Length)
        {
            error = $"bad producer count {count}";
            return false;
        }

        var result = new List<ProducerSnapshotEntry>(count);
        for (var i = 0; i < count; i++)
        {
            if (span.Length < EntryFixedSize)
            {
                error = "truncated producer entry";
                return false;
            }

            var producerId = BinaryPrimitives.ReadInt64BigEndian(span);
            var epoch = BinaryPrimitives.ReadInt16BigEndian(span[8..]);
            var coordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(span[10..]);
            var lastTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[14..]);
            int batchCount = span[22];
            span = span[EntryFixedSize..];
            if (batchCount > ProducerStateManager.BatchesToRetain || span.Length < batchCount * BatchSize)
            {
                error = $"bad batch count {batchCount} for producer {producerId}";
                return false;
            }

            var batches = new BatchMetadata[batchCount];
            for (var b = 0; b < batchCount; b++)
            {
                batches[b] = new BatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(span),
                    BinaryPrimitives.ReadInt32BigEndian(span[4..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[8..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[16..]));
                span = span[BatchSize..];
            }

            result.Add(new ProducerSnapshotEntry(producerId, epoch, coordinatorEpoch, lastTimestamp, batches));
        }

        if (span.Length != 0)
        {
            error = $"{span.Length} bytes after the last producer entry";
            return false;
        }

        entries = result;
        error = "";
        return true;
    }

    private static byte[] Serialize(IReadOnlyCollection<ProducerSnapshotEntry> entries)
    {
        var size = HeaderSize;
        foreach (var e in entries)
        {
            size += EntryFixedSize + (e.Batches.Length * BatchSize);
        }

        var bytes = new byte[size];
        bytes[0] = Version;
        var span = bytes.AsSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, entries.Count);
        span = span[4..];
        foreach (var e in entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span, e.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span[8..], e.Epoch);
            BinaryPrimitives.WriteInt32BigEndian(span[10..], e.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(span[14..], e.LastTimestamp);
            span[22] = (byte)e.Batches.Length;
            span = span[EntryFixedSize..];
            foreach (var b in e.Batches)
            {
                BinaryPrimitives.WriteInt32BigEndian(span, b.FirstSeq);
                BinaryPrimitives.WriteInt32BigEndian(span[4..], b.LastSeq);
                BinaryPrimitives.WriteInt64BigEndian(span[8..], b.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[16..], b.LastOffset);
                span = span[BatchSize..];
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, bytes.AsSpan(5)));
        return bytes;
    }
}

/// <summary>One producer's state as a snapshot holds it; batches oldest first.</summary>
internal sealed record ProducerSnapshotEntry(long ProducerId, short Epoch, int CoordinatorEpoch, long LastTimestamp, BatchMetadata[] Batches);
