using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>One scrape of a broker's /metrics, parsed from the Prometheus text format into series and values.</summary>
public sealed partial class Scrape
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(15) };

    private Scrape(int status, string? contentType, string body)
    {
        Status = status;
        ContentType = contentType;
        Body = body;
        foreach (var line in body.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var m = Sample().Match(line);
            if (!m.Success)
                throw new FormatException($"not a sample line: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            Samples.Add((m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public int Status { get; }

    public string? ContentType { get; }

    public string Body { get; }

    public List<(string Name, Dictionary<string, string> Labels, double Value)> Samples { get; } = [];

    public static async Task<Scrape> GetAsync(Uri uri, string? accept = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, uri);
        if (accept is not null)
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Scrape((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), (int)response.StatusCode == 200 ? body : "");
    }

    /// <summary>The series' value: the one sample of <paramref name="name"/> with exactly these labels (none: the unlabelled one), or null.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        foreach (var s in Samples)
        {
            if (s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value))
                return s.Value;
        }
        return null;
    }

    public IEnumerable<(Dictionary<string, string> Labels, double Value)> Series(string name) =>
        Samples.Where(s => s.Name == name).Select(s => (s.Labels, s.Value));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( \S+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
