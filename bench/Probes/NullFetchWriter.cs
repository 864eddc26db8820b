using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Fetch responses (v4–v11, not flexible) encoded by hand around record bytes that stay where they are: each
/// partition owns a run of identical batches, 1 MiB's worth, whose base offsets are rewritten in place for each
/// answer (the base offset is outside a batch's CRC), and the answer goes out as a gather write of its small headers
/// and those runs, as a broker sends file bytes without copying them through a response buffer.
/// </summary>
internal sealed class FetchWriter
{
    public const short MinVersion = 4;
    public const short MaxVersion = 11;

    private readonly byte[] _topic;
    private readonly int _batchLength;
    private readonly int _batchRecords;
    private readonly byte[][] _runs;
    private readonly List<ArraySegment<byte>> _segments = [];
    private readonly byte[] _headers;

    public FetchWriter(string topic, int partitions, byte[] batch, int batchRecords)
    {
        _topic = Encoding.UTF8.GetBytes(topic);
        _batchLength = batch.Length;
        _batchRecords = batchRecords;
        var perRun = Math.Max(1, (1 << 20) / batch.Length);
        _runs = new byte[partitions][];
        for (var p = 0; p < partitions; p++)
        {
            _runs[p] = new byte[perRun * batch.Length];
            for (var i = 0; i < perRun; i++)
                batch.CopyTo(_runs[p].AsSpan(i * batch.Length));
        }
        _headers = new byte[64 + (16 * (_topic.Length + 64))];
    }

    /// <summary>The frame's pieces, size prefix first; valid until the next call.</summary>
    public List<ArraySegment<byte>> Answer(int correlationId, short version, FetchRequest request)
    {
        if (version is < MinVersion or > MaxVersion)
            throw new InvalidDataException($"Fetch v{version} is not served here");
        _segments.Clear();
        var at = 4;
        var budget = request.MaxBytes;
        var headersNeeded = 64 + request.Topics.Sum(t => 8 + Encoding.UTF8.GetByteCount(t.Topic) + (t.Partitions.Count * 64));
        var buffer = headersNeeded <= _headers.Length ? _headers : new byte[headersNeeded];
        var headers = buffer.AsSpan();
        var segmentStart = 0;
        void Int16(Span<byte> b, short v) { BinaryPrimitives.WriteInt16BigEndian(b[at..], v); at += 2; }
        void Int32(Span<byte> b, int v) { BinaryPrimitives.WriteInt32BigEndian(b[at..], v); at += 4; }
        void Int64(Span<byte> b, long v) { BinaryPrimitives.WriteInt64BigEndian(b[at..], v); at += 8; }

        Int32(headers, correlationId);
        Int32(headers, 0); // throttle time
        if (version >= 7)
        {
            Int16(headers, 0); // error
            Int32(headers, 0); // session id: none, every fetch is a full one
        }
        Int32(headers, request.Topics.Count);
        var total = 0L;
        foreach (var t in request.Topics)
        {
            var name = Encoding.UTF8.GetBytes(t.Topic);
            Int16(headers, (short)name.Length);
            name.CopyTo(headers[at..]);
            at += name.Length;
            Int32(headers, t.Partitions.Count);
            foreach (var p in t.Partitions)
            {
                var known = name.AsSpan().SequenceEqual(_topic) && p.Partition >= 0 && p.Partition < _runs.Length;
                Int32(headers, p.Partition);
                Int16(headers, known ? (short)0 : (short)ErrorCode.UnknownTopicOrPartition);
                Int64(headers, known ? long.MaxValue / 2 : -1); // high watermark
                Int64(headers, known ? long.MaxValue / 2 : -1); // last stable offset
                if (version >= 5)
                    Int64(headers, 0); // log start offset
                Int32(headers, -1); // aborted transactions: none
                if (version >= 11)
                    Int32(headers, -1); // preferred read replica
                if (!known)
                {
                    Int32(headers, -1);
                    continue;
                }
                // Whole batches, at least one (as a broker answers), within the partition's and the request's limits.
                var run = _runs[p.Partition];
                var count = Math.Clamp(Math.Min(p.PartitionMaxBytes, budget) / _batchLength, 1, run.Length / _batchLength);
                budget = Math.Max(0, budget - (count * _batchLength));
                for (var i = 0; i < count; i++)
                    BinaryPrimitives.WriteInt64BigEndian(run.AsSpan(i * _batchLength), p.FetchOffset + ((long)i * _batchRecords));
                Int32(headers, count * _batchLength);
                _segments.Add(new ArraySegment<byte>(buffer, segmentStart, at - segmentStart));
                _segments.Add(new ArraySegment<byte>(run, 0, count * _batchLength));
                total += count * _batchLength;
                segmentStart = at;
            }
        }
        if (at > segmentStart)
            _segments.Add(new ArraySegment<byte>(buffer, segmentStart, at - segmentStart));
        BinaryPrimitives.WriteInt32BigEndian(buffer, checked((int)(at - 4 + total)));
        return _segments;
    }
}
