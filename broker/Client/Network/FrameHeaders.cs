using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Network;

/// <summary>
/// Request and response headers. They are tiny and fixed by the spec (request header v1/v2, response header
/// v0/v1), so the connection writes them itself and needs only the body size from the codec.
/// </summary>
internal static class FrameHeaders
{
    public static int RequestHeaderSize(short headerVersion, string? clientId)
    {
        var size = 2 + 2 + 4 + 2 + (clientId is null ? 0 : Encoding.UTF8.GetByteCount(clientId));
        return headerVersion >= 2 ? size + 1 : size;
    }

    /// <summary>Writes the size prefix and the request header; the body of <paramref name="bodySize"/> bytes follows.</summary>
    public static void WriteFramePrefix(IBufferWriter<byte> output, ApiKey apiKey, short apiVersion, int correlationId,
        short headerVersion, string? clientId, int bodySize)
    {
        var headerSize = RequestHeaderSize(headerVersion, clientId);
        var span = output.GetSpan(4 + headerSize);
        BinaryPrimitives.WriteInt32BigEndian(span, headerSize + bodySize);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], (short)apiKey);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], apiVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], correlationId);
        var pos = 12;
        if (clientId is null)
        {
            BinaryPrimitives.WriteInt16BigEndian(span[pos..], -1);
            pos += 2;
        }
        else
        {
            var written = Encoding.UTF8.GetBytes(clientId, span[(pos + 2)..]);
            BinaryPrimitives.WriteInt16BigEndian(span[pos..], (short)written);
            pos += 2 + written;
        }

        if (headerVersion >= 2)
        {
            span[pos++] = 0; // no tagged fields
        }

        output.Advance(pos);
    }

    /// <summary>Returns the offset of the body in a response frame (after the correlation id and tagged fields).</summary>
    public static int ResponseBodyOffset(ReadOnlySpan<byte> frame, short headerVersion)
    {
        var pos = 4;
        if (headerVersion < 1)
        {
            return pos;
        }

        var count = ReadUnsignedVarInt(frame, ref pos);
        for (var i = 0; i < count; i++)
        {
            _ = ReadUnsignedVarInt(frame, ref pos);
            var size = ReadUnsignedVarInt(frame, ref pos);
            if (size < 0 || pos + size > frame.Length)
            {
                throw new KafkaConnectionException("Malformed tagged field in a response header.");
            }

            pos += size;
        }

        return pos;
    }

    private static int ReadUnsignedVarInt(ReadOnlySpan<byte> span, ref int pos)
    {
        var value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (pos >= span.Length)
            {
                throw new KafkaConnectionException("Truncated varint in a response header.");
            }

            var b = span[pos++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new KafkaConnectionException("Varint too long in a response header.");
    }
}
