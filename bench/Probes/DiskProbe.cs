using System.Diagnostics;
using System.Globalization;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Sequential buffered writes of 1 MiB chunks with a flush to disk every `syncBytes` (what a log segment writer
/// with a periodic flush does). O_DIRECT would measure something the broker never does, so it is not used.
/// </summary>
public static class DiskProbe
{
    public static string Run(string dir, long totalBytes, long syncBytes)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"disk-probe-{Environment.ProcessId}.bin");
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk); // incompressible, in case the filesystem compresses
        var watch = Stopwatch.StartNew();
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            long written = 0, sinceSync = 0;
            while (written < totalBytes)
            {
                file.Write(chunk);
                written += chunk.Length;
                sinceSync += chunk.Length;
                if (sinceSync >= syncBytes)
                {
                    file.Flush(flushToDisk: true);
                    sinceSync = 0;
                }
            }

            file.Flush(flushToDisk: true);
        }
        finally
        {
            File.Delete(path);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"disk\",\"bytes\":{totalBytes},\"sync_every\":{syncBytes},\"seconds\":{seconds:0.000},\"mb_per_s\":{totalBytes / seconds / 1e6:0.0}}}");
    }
}
