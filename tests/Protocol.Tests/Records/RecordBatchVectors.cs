namespace KafkaOperator.Protocol.Tests.Records;

/// <summary>
/// Batches derived by hand from the RecordBatch v2 layout in the Kafka documentation, and batches written by a
/// real client (kafka-python 2.0.2's DefaultRecordBatchBuilder).
/// </summary>
internal static class RecordBatchVectors
{
    public const long BaseTimestamp = 1_700_000_000_000;

    /// <summary>
    /// Two records: (key "k", value "v", header h=x, at BaseTimestamp) and (null key, empty value, no headers,
    /// 5 ms later). No producer id, partition leader epoch -1. The CRC was checked with kafka-python's crc32c,
    /// and kafka-python's DefaultRecordBatch reads these bytes back as the same two records.
    /// </summary>
    public static readonly byte[] HandDerived = Convert.FromHexString(
        "0000000000000000" + // baseOffset 0
        "00000045" + // batchLength 69 = 81 - 12
        "FFFFFFFF" + // partitionLeaderEpoch -1
        "02" + // magic
        "C41F1730" + // crc32c of everything from attributes on
        "0000" + // attributes: no compression, CreateTime
        "00000001" + // lastOffsetDelta
        "0000018BCFE56800" + // baseTimestamp 1700000000000
        "0000018BCFE56805" + // maxTimestamp 1700000000005
        "FFFFFFFFFFFFFFFF" + // producerId -1
        "FFFF" + // producerEpoch -1
        "FFFFFFFF" + // baseSequence -1
        "00000002" + // records count
        "18" + "00" + "00" + "00" + "026B" + "0276" + "02" + "0268" + "0278" + // length 12, attrs, ts 0, offset 0, key k, value v, 1 header h=x
        "0C" + "00" + "0A" + "02" + "01" + "00" + "00"); // length 6, attrs, ts +5, offset 1, key null, value "", 0 headers

    /// <summary>
    /// kafka-python DefaultRecordBatchBuilder(magic=2, producer_id=1234, producer_epoch=5, base_sequence=7) with
    /// records (offset 0, ts 1700000000000, key "k1", value "hello world " * 20, headers h1=v1 h2=null),
    /// (1, +5 ms, null key, "second"), (2, -10 ms, key "", null value); one batch per codec id 0..3.
    /// </summary>
    public static readonly byte[][] KafkaPython =
    [
        Convert.FromHexString(
            "00000000000000000000014a0000000002365ed25b0000000000020000018bcfe568000000018bcfe5680500000000000004d200050000" +
            "0007000000038604000000046b31e00368656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c" +
            "6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c" +
            "642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f" +
            "20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c6420" +
            "68656c6c6f20776f726c642068656c6c6f20776f726c642068656c6c6f20776f726c6420040468310476310468320118000a02010c7365" +
            "636f6e64000c001304000100"),
        Convert.FromHexString(
            "00000000000000000000007c0000000002c715331c0001000000020000018bcfe568000000018bcfe5680500000000000004d200050000" +
            "0007000000031f8b0800dc39026b02ff6b6361606060c9367cc09c919a9393af509e5f9493a23012d82c2c19862c65862c19468c120c5c" +
            "4c8c3cc5a9c9f979290c3c0cc22c0c8c0c001c63a53019010000"),
        Convert.FromHexString(
            "00000000000000000000008a0000000002f972a94a0002000000020000018bcfe568000000018bcfe5680500000000000004d200050000" +
            "00070000000382534e41505059000000000100000001000000459902548604000000046b31e00368656c6c6f20776f726c6420fe0c00fe" +
            "0c00fe0c008e0c0078040468310476310468320118000a02010c7365636f6e64000c001304000100"),
        Convert.FromHexString(
            "0000000000000000000000840000000002ff272be40003000000020000018bcfe568000000018bcfe5680500000000000004d200050000" +
            "00070000000304224d18684019010000000000001f3c000000ff078604000000046b31e00368656c6c6f20776f726c64200c00d1f01004" +
            "0468310476310468320118000a02010c7365636f6e64000c00130400010000000000"),
    ];
}
