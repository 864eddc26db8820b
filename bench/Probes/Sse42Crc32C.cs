using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// The broker's CRC-32C before System.IO.Hashing (SSE4.2 crc32 instruction, else a table), kept as the reference.
/// </summary>
internal static class Sse42Crc32C
{
    private const uint Polynomial = 0x82F63B78;
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC over more data: Append(Compute(a), b) == Compute(a + b).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        if (Sse42.X64.IsSupported)
        {
            var longs = MemoryMarshal.Cast<byte, ulong>(data);
            ulong c64 = c;
            foreach (var v in longs)
            {
                c64 = Sse42.X64.Crc32(c64, v);
            }

            c = (uint)c64;
            data = data[(longs.Length * 8)..];
            foreach (var b in data)
            {
                c = Sse42.Crc32(c, b);
            }
        }
        else
        {
            foreach (var b in data)
            {
                c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
            }
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
