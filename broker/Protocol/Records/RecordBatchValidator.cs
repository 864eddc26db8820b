using System.Buffers.Binary;

namespace KafkaOperator.Protocol.Records;

/// <summary>
/// Checks a produce request's records field as a Kafka broker does before appending, without throwing for bad
/// input. Error codes follow Kafka: framing or CRC damage is CorruptMessage; old message formats (magic 0/1) are
/// UnsupportedForMessageFormat; a batch over max.message.bytes (or one that inflates past the decompression limit)
/// is MessageTooLarge; a well-framed batch whose contents break the rules (count, offsets, record structure,
/// control or producer fields) is InvalidRecord; an unknown codec id is UnsupportedCompressionType.
/// </summary>
public static class RecordBatchValidator
{
    private const int MinBatchLength = RecordBatchHeader.Size - RecordBatchHeader.LogOverhead;
    private const int MaxCodecId = (int)CompressionType.Zstd;

    /// <summary>
    /// Validates every batch in <paramref name="recordsField"/>. When <paramref name="batches"/> is given, each
    /// valid batch's <see cref="RecordBatchInfo"/> is appended to it (batches before a failing one included).
    /// <paramref name="scratch"/> receives decompressed records; pass one to reuse its buffer across calls.
    /// </summary>
    public static RecordValidationResult Validate(
        ReadOnlySpan<byte> recordsField,
        int maxBatchBytes,
        ICollection<RecordBatchInfo>? batches = null,
        RecordValidationOptions? options = null,
        PooledBufferWriter? scratch = null)
    {
        options ??= RecordValidationOptions.Default;
        var ownScratch = false;
        try
        {
            var position = 0;
            var batchCount = 0;
            var recordCount = 0;
            RecordBatchInfo first = default;
            while (position < recordsField.Length)
            {
                var batch = recordsField[position..];
                var error = CheckFraming(batch, position, maxBatchBytes, out var code, out var size);
                if (error is null)
                {
                    var records = batch[RecordBatchHeader.Size..size];
                    var header = RecordBatchHeader.Read(batch);
                    error = CheckHeader(header, options, out code);
                    if (error is null && header.Compression != CompressionType.None)
                    {
                        if (scratch is null)
                        {
                            scratch = new PooledBufferWriter((int)Math.Min(size * 4L, 1 << 20));
                            ownScratch = true;
                        }

                        scratch.Clear();
                        error = Decompress(header.Compression, records, scratch, options.MaxUncompressedBytes, out code);
                        records = scratch.WrittenSpan;
                    }

                    if (error is null)
                    {
                        List<int>? keyless = options.RequireKeys ? [] : null;
                        error = CheckRecords(header, records, position, size, keyless, out var info);
                        code = ErrorCode.InvalidRecord;
                        if (error is null && keyless is { Count: > 0 })
                        {
                            return new RecordValidationResult
                            {
                                ErrorCode = ErrorCode.InvalidRecord,
                                ErrorMessage = $"batch {batchCount}: {keyless.Count} records without a key, which a compacted topic cannot accept",
                                FailedBatchIndex = batchCount,
                                KeylessRecords = keyless,
                            };
                        }

                        if (error is null)
                        {
                            batches?.Add(info);
                            first = batchCount == 0 ? info : first;
                            batchCount++;
                            recordCount += info.RecordCount;
                            position += size;
                            continue;
                        }
                    }
                }

                return Fail(code, $"batch {batchCount} at byte {position}: {error}", batchCount);
            }

            if (options.RequireSingleBatch && batchCount != 1)
            {
                return Fail(ErrorCode.InvalidRecord, $"produce requests must carry exactly one record batch per partition, not {batchCount}", 0);
            }

            return new RecordValidationResult
            {
                ErrorCode = ErrorCode.None,
                FailedBatchIndex = -1,
                BatchCount = batchCount,
                RecordCount = recordCount,
                FirstBatch = first,
            };
        }
        finally
        {
            if (ownScratch)
            {
                scratch!.Dispose();
            }
        }
    }

    private static RecordValidationResult Fail(ErrorCode code, string message, int batchIndex) =>
        new() { ErrorCode = code, ErrorMessage = message, FailedBatchIndex = batchIndex };

    private static string? CheckFraming(ReadOnlySpan<byte> rest, int position, int maxBatchBytes, out ErrorCode code, out int size)
    {
        code = ErrorCode.CorruptMessage;
        size = 0;
        if (rest.Length <= RecordBatchHeader.MagicOffset)
        {
            return $"{rest.Length} trailing bytes are not a whole batch";
        }

        var magic = rest[RecordBatchHeader.MagicOffset];
        if (magic < RecordBatchHeader.CurrentMagic)
        {
            code = ErrorCode.UnsupportedForMessageFormat;
            return $"message format v{magic} is not supported, only RecordBatch v2 (magic 2)";
        }

        if (magic > RecordBatchHeader.CurrentMagic)
        {
            return $"unknown magic {magic}";
        }

        if (rest.Length < RecordBatchHeader.Size)
        {
            return $"{rest.Length} trailing bytes are not a whole batch";
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(rest[RecordBatchHeader.BatchLengthOffset..]);
        if (length < MinBatchLength)
        {
            return $"batch length {length} is less than the {MinBatchLength} bytes of a header";
        }

        var total = (long)length + RecordBatchHeader.LogOverhead;
        if (total > rest.Length)
        {
            return $"batch of {total} bytes overruns the {rest.Length} bytes left in the records";
        }

        if (total > maxBatchBytes)
        {
            code = ErrorCode.MessageTooLarge;
            return $"batch of {total} bytes exceeds the maximum of {maxBatchBytes}";
        }

        size = (int)total;
        if (!RecordBatchHeader.CrcMatches(rest[..size]))
        {
            return "CRC mismatch";
        }

        code = ErrorCode.None;
        return null;
    }

    private static string? CheckHeader(in RecordBatchHeader header, RecordValidationOptions options, out ErrorCode code)
    {
        code = ErrorCode.InvalidRecord;
        if ((int)header.Compression > MaxCodecId)
        {
            code = ErrorCode.UnsupportedCompressionType;
            return $"unknown compression type id {(int)header.Compression}";
        }

        if (header.RecordCount <= 0)
        {
            return $"record count {header.RecordCount} must be positive";
        }

        if (header.LastOffsetDelta != header.RecordCount - 1)
        {
            return $"lastOffsetDelta {header.LastOffsetDelta} does not match the record count {header.RecordCount}";
        }

        if (header.IsControl && !options.AllowControlBatches)
        {
            return "clients may not write control batches";
        }

        if (header.HasProducerId && header.BaseSequence < 0)
        {
            return $"producerId {header.ProducerId} comes with an invalid base sequence {header.BaseSequence}";
        }

        if (header.IsTransactional && !header.HasProducerId)
        {
            return "a transactional batch needs a producerId";
        }

        code = ErrorCode.None;
        return null;
    }

    private static string? Decompress(CompressionType codec, ReadOnlySpan<byte> records, PooledBufferWriter scratch, int max, out ErrorCode code)
    {
        var status = Compression.TryDecompress(codec, records, scratch, max, out _, out var error);
        code = status switch
        {
            DecompressionStatus.Done => ErrorCode.None,
            DecompressionStatus.OutputTooLarge => ErrorCode.MessageTooLarge,
            DecompressionStatus.UnsupportedCodec => ErrorCode.UnsupportedCompressionType,
            _ => ErrorCode.CorruptMessage,
        };
        return error;
    }

    private static string? CheckRecords(
        in RecordBatchHeader header, ReadOnlySpan<byte> records, int position, int size, List<int>? keyless, out RecordBatchInfo info)
    {
        info = default;
        var iterator = new RecordIterator(records, header.RecordCount, 0, header.BaseTimestamp);
        var min = long.MaxValue;
        var max = long.MinValue;
        var offsetDeltaOfMax = 0;
        string? error;
        while (iterator.TryMoveNext(out error))
        {
            var record = iterator.Current;
            if (record.OffsetDelta != iterator.Index - 1)
            {
                return $"record {iterator.Index - 1} has offsetDelta {record.OffsetDelta}";
            }

            if (keyless is not null && record.KeyIsNull)
            {
                keyless.Add(iterator.Index - 1);
            }

            min = Math.Min(min, record.Timestamp);
            if (record.Timestamp > max)
            {
                max = record.Timestamp;
                offsetDeltaOfMax = record.OffsetDelta;
            }
        }

        if (error is not null)
        {
            return error;
        }

        info = new RecordBatchInfo
        {
            Position = position,
            SizeInBytes = size,
            RecordCount = header.RecordCount,
            LastOffsetDelta = header.LastOffsetDelta,
            Compression = header.Compression,
            TimestampType = header.TimestampType,
            IsTransactional = header.IsTransactional,
            IsControl = header.IsControl,
            PartitionLeaderEpoch = header.PartitionLeaderEpoch,
            BaseTimestamp = header.BaseTimestamp,
            HeaderMaxTimestamp = header.MaxTimestamp,
            MinTimestamp = min,
            MaxTimestamp = max,
            OffsetDeltaOfMaxTimestamp = offsetDeltaOfMax,
            ProducerId = header.ProducerId,
            ProducerEpoch = header.ProducerEpoch,
            BaseSequence = header.BaseSequence,
            UncompressedRecordsSize = records.Length,
        };
        return null;
    }
}
