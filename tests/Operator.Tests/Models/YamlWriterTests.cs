using System.Text.Json.Nodes;
using KafkaOperator.Operator.Yaml;

namespace KafkaOperator.Operator.Tests.Models;

public sealed class YamlWriterTests
{
    [Fact]
    public void Ambiguous_strings_are_quoted_and_multiline_uses_block_literals()
    {
        var yaml = YamlWriter.Write(JsonNode.Parse("""
            {"a":"true","b":"123","c":"plain text","d":"x: y","e":"line1\nline2\n","f":[{"g":1,"h":[]}],"i":{},"j":"2024-01-01"}
            """));
        Assert.Equal("""
            a: "true"
            b: "123"
            c: plain text
            d: "x: y"
            e: |
              line1
              line2
            f:
            - g: 1
              h: []
            i: {}
            j: "2024-01-01"

            """.Replace("\r", "", StringComparison.Ordinal), yaml);
    }
}
