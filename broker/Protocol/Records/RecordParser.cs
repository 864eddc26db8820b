namespace KafkaOperator.Protocol.Records;

/// <summary>
/// Reads one record (DefaultRecord in Kafka) without throwing: the body length must be exactly what its fields
/// occupy, key and value lengths below zero mean null, header keys may not be null, header counts may not be
/// negative. Errors come back as messages, built only on failure.
/// </summary>
internal static class RecordParser
{
    public static string? TryRead(ReadOnlySpan<byte> source, long baseOffset, long baseTimestamp, long? logAppendTime, out Record record, out int consumed)
    {
        record = default;
        consumed = 0;
        if (!RecordVarint.TryReadVarint(source, out var bodyLength, out var n))
        {
            return "record length varint is truncated or too long";
        }

        if (bodyLength < 1 || bodyLength > source.Length - n)
        {
            return $"record length {bodyLength} does not fit the {source.Length - n} bytes left";
        }

        var body = source.Slice(n, bodyLength);
        var attributes = (sbyte)body[0];
        var rest = body[1..];
        if (!RecordVarint.TryReadVarlong(rest, out var timestampDelta, out var m))
        {
            return "record timestampDelta is malformed";
        }

        rest = rest[m..];
        if (!RecordVarint.TryReadVarint(rest, out var offsetDelta, out m))
        {
            return "record offsetDelta is malformed";
        }

        rest = rest[m..];
        if (!TryReadBytes(rest, out var key, out var keyIsNull, out m))
        {
            return "record key is malformed";
        }

        rest = rest[m..];
        if (!TryReadBytes(rest, out var value, out var valueIsNull, out m))
        {
            return "record value is malformed";
        }

        rest = rest[m..];

        if (!RecordVarint.TryReadVarint(rest, out var headerCount, out m) || headerCount < 0)
        {
            return "record header count is malformed or negative";
        }

        rest = rest[m..];
        var headers = rest;
        for (var i = 0; i < headerCount; i++)
        {
            if (!TryReadHeader(rest, out _, out m))
            {
                return $"record header {i} is malformed";
            }

            rest = rest[m..];
        }

        if (!rest.IsEmpty)
        {
            return $"record length {bodyLength} leaves {rest.Length} unread bytes after the headers";
        }

        headers = headers[..(headers.Length - rest.Length)];
        consumed = n + bodyLength;
        var timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
        record = new Record(consumed, attributes, timestampDelta, offsetDelta, baseOffset + offsetDelta, timestamp, key, keyIsNull, value, valueIsNull, headerCount, headers);
        return null;
    }

    public static bool TryReadHeader(ReadOnlySpan<byte> source, out RecordHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        if (!TryReadBytes(source, out var key, out var keyIsNull, out var n) || keyIsNull)
        {
            return false;
        }

        if (!TryReadBytes(source[n..], out var value, out var valueIsNull, out var m))
        {
            return false;
        }

        header = new RecordHeader(key, value, valueIsNull);
        consumed = n + m;
        return true;
    }

    private static bool TryReadBytes(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> bytes, out bool isNull, out int consumed)
    {
        bytes = default;
        isNull = false;
        if (!RecordVarint.TryReadVarint(source, out var length, out consumed))
        {
            return false;
        }

        if (length < 0)
        {
            isNull = true;
            return true;
        }

        if (length > source.Length - consumed)
        {
            return false;
        }

        bytes = source.Slice(consumed, length);
        consumed += length;
        return true;
    }
}
