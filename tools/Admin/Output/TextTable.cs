using System.Globalization;
using System.Text;

namespace KafkaOperator.Admin.Output;

/// <summary>
/// A plain text table: an upper-case header row, columns padded to their widest cell and separated by two spaces,
/// numbers right-aligned. No box drawing, so the output stays greppable and diff-friendly.
/// </summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers)
    {
        _headers = headers;
        _rightAligned = new bool[headers.Length];
    }

    public int RowCount => _rows.Count;

    /// <summary>Right-aligns the named columns (numeric ones).</summary>
    public TextTable AlignRight(params string[] headers)
    {
        foreach (var header in headers)
        {
            var index = Array.IndexOf(_headers, header);
            if (index < 0)
            {
                throw new ArgumentException($"No column '{header}'.", nameof(headers));
            }

            _rightAligned[index] = true;
        }

        return this;
    }

    public TextTable AddRow(params object?[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"Expected {_headers.Length} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells.Select(Format).ToArray());
        return this;
    }

    public static string Format(object? cell) => cell switch
    {
        null => "-",
        string s => s.Length == 0 ? "-" : s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "-",
    };

    public void WriteTo(TextWriter writer)
    {
        var widths = new int[_headers.Length];
        for (var c = 0; c < _headers.Length; c++)
        {
            widths[c] = _rows.Select(r => r[c].Length).Append(_headers[c].Length).Max();
        }

        WriteLine(writer, _headers, widths);
        foreach (var row in _rows)
        {
            WriteLine(writer, row, widths);
        }
    }

    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        WriteTo(writer);
        return writer.ToString();
    }

    private void WriteLine(TextWriter writer, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var c = 0; c < cells.Length; c++)
        {
            var last = c == cells.Length - 1;
            if (c > 0)
            {
                line.Append("  ");
            }

            if (_rightAligned[c])
            {
                line.Append(cells[c].PadLeft(widths[c]));
            }
            else
            {
                // No trailing spaces after the last column.
                line.Append(last ? cells[c] : cells[c].PadRight(widths[c]));
            }
        }

        writer.WriteLine(line.ToString());
    }
}
